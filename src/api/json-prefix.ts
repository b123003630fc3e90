/**
 * Where the JSON object or array at the start of `bytes` ends (after leading
 * whitespace): the offset just past it, or undefined while it is incomplete.
 * Bytes that cannot start one end "at" their end, so the caller's parser
 * reports them. Exec start sends its options and then stdin in one chunked body;
 * this finds the line between them, as Go's json.Decoder does for dockerd.
 */
export function jsonPrefixEnd(bytes: Buffer): number | undefined {
  let at = 0;
  while (at < bytes.length && (bytes[at] === 0x20 || bytes[at] === 0x09 || bytes[at] === 0x0a || bytes[at] === 0x0d)) at++;
  if (at === bytes.length) return undefined;
  if (bytes[at] !== 0x7b && bytes[at] !== 0x5b) return bytes.length;
  let depth = 0;
  let inString = false;
  for (; at < bytes.length; at++) {
    const byte = bytes[at]!;
    if (inString) {
      if (byte === 0x5c) at++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) depth++;
    else if ((byte === 0x7d || byte === 0x5d) && --depth === 0) return at + 1;
  }
  return undefined;
}
