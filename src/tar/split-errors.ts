import { internal } from '../common/errors.js';

// The failures of a tar-split assembly, worded once for the event loop and for the thread that
// reads small bodies (body-reader-thread.ts).

export function corrupt(detail: string): Error {
  return internal(`corrupt tar-split metadata: ${detail}`);
}

export function notADirectory(relative: string): Error {
  return corrupt(`body path goes through "${relative}", which is not a directory`);
}

export function notARegularFile(path: string): Error {
  return internal(`layer file ${path} is no longer a regular file`);
}

export function wrongSize(path: string, actual: number, size: number): Error {
  return internal(`layer file ${path} has ${actual} bytes, its tar entry had ${size}`);
}

export function endedEarly(path: string, size: number): Error {
  return internal(`layer file ${path} ended before the ${size} bytes its tar entry had`);
}
