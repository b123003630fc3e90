/**
 * A file system error worded as Go's *PathError prints it, which is what docker shows:
 * "open x.tar: no such file or directory" rather than Node's "ENOENT: no such file or directory, open 'x.tar'".
 */
import { util } from './node-builtins.js';

export function pathErrorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e.errno !== 'number' || !e.syscall) return (error as Error).message;
  const reason = util().getSystemErrorMessage(e.errno);
  return e.path === undefined ? `${e.syscall}: ${reason}` : `${e.syscall} ${e.path}: ${reason}`;
}
