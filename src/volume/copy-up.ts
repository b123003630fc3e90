import { lstat, readdir } from 'node:fs/promises';
import { errnoCode, internal } from '../common/errors.js';
import { runCommand } from '../common/run-command.js';

/**
 * docker's copy-up: a volume mounted over a directory the image has gets that
 * directory's content while the volume is empty, with owners, modes, times, links
 * and extended attributes (cp -a), and the directory's own owner and mode on the
 * volume's root. `imageDir` must already be resolved inside the container's root
 * (resolveInRoot), and the container must not be running, so nothing it controls
 * can move a path while cp walks it; cp itself never follows symbolic links here.
 */
export async function copyUp(imageDir: string, volumeDir: string): Promise<boolean> {
  let isDirectory: boolean;
  try {
    isDirectory = (await lstat(imageDir)).isDirectory();
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') return false;
    throw error;
  }
  if (!isDirectory || (await readdir(volumeDir)).length > 0) return false;
  const copy = await runCommand('cp', ['-a', '--no-dereference', '--', `${imageDir}/.`, `${volumeDir}/`]);
  if (copy.code !== 0) throw internal(`copying the image's content into the volume at ${volumeDir}: ${copy.stderr.trim()}`);
  return true;
}
