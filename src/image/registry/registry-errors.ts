import { BerthError, type ErrorKind } from '../../common/errors.js';

/** One entry of a registry's `{"errors":[...]}` answer (distribution spec error codes). */
export interface RegistryErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** The errors a registry put in a failed answer, if its body had them. */
export function registryErrorEntries(body: string): RegistryErrorEntry[] {
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.filter((entry): entry is RegistryErrorEntry => typeof (entry as RegistryErrorEntry)?.code === 'string');
  } catch {
    return [];
  }
}

/** Docker prints registry errors as `code: message`, lowercasing the code (`manifest unknown: manifest unknown`). */
export function describeRegistryErrors(entries: readonly RegistryErrorEntry[]): string {
  return entries.map((entry) => `${entry.code.toLowerCase().replaceAll('_', ' ')}: ${entry.message ?? ''}`.trimEnd()).join(', ');
}

function kindForStatus(status: number): ErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 400 || status === 405 || status === 413 || status === 416) return 'invalid-argument';
  return 'unavailable';
}

/** An answer the registry gave that the operation could not go on from. */
export class RegistryError extends BerthError {
  constructor(
    readonly status: number,
    readonly entries: readonly RegistryErrorEntry[],
    message: string,
  ) {
    super(kindForStatus(status), message);
  }

  hasCode(code: string): boolean {
    return this.entries.some((entry) => entry.code === code);
  }
}

/** Whether a failure may go away by trying again: a dropped connection or the registry being briefly unwell. */
export function isTransient(error: unknown): boolean {
  if (error instanceof RegistryError) return error.status === 429 || error.status >= 500;
  if (error instanceof BerthError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'ECONNREFUSED' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNABORTED' ||
    code === 'EAI_AGAIN' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    code === 'UND_ERR_SOCKET' ||
    (error instanceof Error && /socket hang up|aborted|premature/i.test(error.message))
  );
}
