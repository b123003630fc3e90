import { spawn } from 'node:child_process';
import { ImageService } from '../image/images.js';

/**
 * Creates an image from a rootfs tar made by a script, straight into the store
 * (berthd need not run): `seed-image [--if-missing] <data-root> <repo:tag> <script> [--change ...]`.
 * The install step uses it to create busybox:latest offline.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ifMissing = args[0] === '--if-missing';
  if (ifMissing) args.shift();
  const [dataRoot, reference, script, ...rest] = args;
  if (!dataRoot || !reference || !script) {
    console.error('usage: seed-image [--if-missing] DATA_ROOT REPO:TAG ROOTFS_SCRIPT [--change INSTRUCTION]...');
    process.exit(2);
  }
  const changes: string[] = [];
  for (let index = 0; index < rest.length; index += 2) {
    if (rest[index] !== '--change' || rest[index + 1] === undefined) throw new Error(`unexpected argument ${rest[index]}`);
    changes.push(rest[index + 1]!);
  }
  const separator = reference.lastIndexOf(':');
  const repo = reference.slice(0, separator);
  const tag = reference.slice(separator + 1);
  const images = await ImageService.open(dataRoot);
  if (ifMissing) {
    const existing = await images.resolve(reference).catch(() => undefined);
    const complete = existing !== undefined && (await Promise.all(existing.chainIds.map((chainId) => images.layers.canReassemble(chainId)))).every(Boolean);
    if (complete) {
      console.log(`${reference} ${existing.id} (already present)`);
      return;
    }
    // An image seeded by an older berth lacks the tar-split its layers need for save and push: seed again.
    if (existing !== undefined) console.log(`${reference} ${existing.id} was stored without tar-splits: seeding it again`);
  }
  const producer = spawn(script, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const produced = new Promise<void>((resolve, reject) => {
    producer.on('error', reject);
    producer.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited with ${code}`))));
  });
  const id = await images.import(producer.stdout!, { repo, tag, changes, message: '' });
  await produced;
  console.log(`${reference} ${id}`);
}

main().catch((error: unknown) => {
  console.error(`seed-image: ${(error as Error).message}`);
  process.exit(1);
});
