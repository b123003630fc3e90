import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from './errors.js';

/** Bytes of the files under `root` (links not followed), counting hard-linked files once; 0 when it does not exist. */
export async function directorySize(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      const info = await lstat(path);
      const key = `${info.dev}:${info.ino}`;
      if (info.nlink > 1) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += info.size;
    }
  };
  await walk(root);
  return total;
}
