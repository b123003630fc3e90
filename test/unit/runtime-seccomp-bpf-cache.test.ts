import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SeccompBpfCache } from '../../src/runtime/seccomp-bpf-cache.js';

const ANNOTATION = 'run.oci.seccomp_bpf_data';

describe('SeccompBpfCache', () => {
  let dir: string;
  let runtimeBinary: string;
  let stateRoot: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-bpf-cache-'));
    runtimeBinary = join(dir, 'crun');
    writeFileSync(runtimeBinary, 'a runtime');
    stateRoot = join(dir, 'state');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const specWith = (seccomp: unknown) => ({ ociVersion: '1.0.2', linux: { seccomp }, annotations: { kept: 'yes' } }) as Record<string, unknown>;
  /** What crun leaves in its state dir after compiling container `id`'s filter. */
  const compiledBy = (id: string, bytes: Buffer) => {
    mkdirSync(join(stateRoot, id), { recursive: true });
    writeFileSync(join(stateRoot, id, 'seccomp.bpf'), bytes);
  };
  /** keep() runs in the background after the runtime created the container. */
  const settle = () => sleep(50);

  it('hands a profile compiled by an earlier container to the next one, and nothing to a new profile', async () => {
    const cache = await SeccompBpfCache.open(join(dir, 'cache-a'), runtimeBinary, stateRoot);
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] };
    const first = specWith(profile);
    const keep = await cache.prepare(first, 'one');
    assert.deepEqual(first.annotations, { kept: 'yes' });
    compiledBy('one', Buffer.from('compiled filter bytes'));
    keep();
    await settle();

    const second = specWith(structuredClone(profile));
    await cache.prepare(second, 'two');
    assert.deepEqual(second.annotations, { kept: 'yes', [ANNOTATION]: Buffer.from('compiled filter bytes').toString('base64') });

    const other = specWith({ ...profile, defaultAction: 'SCMP_ACT_KILL' });
    await cache.prepare(other, 'three');
    assert.equal((other.annotations as Record<string, string>)[ANNOTATION], undefined);
  });

  it('leaves a spec without a filter alone', async () => {
    const cache = await SeccompBpfCache.open(join(dir, 'cache-b'), runtimeBinary, stateRoot);
    const spec = { linux: {} } as Record<string, unknown>;
    (await cache.prepare(spec, 'none'))();
    assert.equal(spec.annotations, undefined);
  });

  it('does not hand over a filter compiled by another build of the runtime', async () => {
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['write'], action: 'SCMP_ACT_ALLOW' }] };
    const before = await SeccompBpfCache.open(join(dir, 'cache-c'), runtimeBinary, stateRoot);
    const keep = await before.prepare(specWith(profile), 'old');
    compiledBy('old', Buffer.from('old build'));
    keep();
    await settle();
    utimesSync(runtimeBinary, new Date(), new Date(Date.now() + 5_000));
    const upgraded = await SeccompBpfCache.open(join(dir, 'cache-c'), runtimeBinary, stateRoot);
    const spec = specWith(profile);
    await upgraded.prepare(spec, 'new');
    assert.equal((spec.annotations as Record<string, string>)[ANNOTATION], undefined);
  });

  it('keeps nothing when the runtime left no compiled filter', async () => {
    const cache = await SeccompBpfCache.open(join(dir, 'cache-d'), runtimeBinary, stateRoot);
    const profile = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [] };
    (await cache.prepare(specWith(profile), 'never-created'))();
    await settle();
    const spec = specWith(profile);
    await cache.prepare(spec, 'after');
    assert.equal((spec.annotations as Record<string, string>)[ANNOTATION], undefined);
  });
});
