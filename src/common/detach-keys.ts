/** Detach keys: the key sequence that ends an attach without stopping the container. */

/** What docker uses when neither the client nor the daemon's config names other keys. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** "ctrl-p,ctrl-q" -> [0x10, 0x11], docker's --detach-keys syntax. */
export function parseDetachKeys(spec: string): number[] {
  const keys: number[] = [];
  for (const part of spec.split(',')) {
    const lower = part.toLowerCase();
    if (lower.startsWith('ctrl-') && part.length === 6) {
      const c = lower[5]!;
      if (c >= 'a' && c <= 'z') keys.push(c.charCodeAt(0) - 96);
      else if ('@[\\]^_'.includes(c)) keys.push('@[\\]^_'.indexOf(c) === 0 ? 0 : 26 + '@[\\]^_'.indexOf(c));
      else throw new Error(`Unknown character: '${part}'`);
    } else if (part.length === 1) {
      keys.push(part.charCodeAt(0));
    } else {
      throw new Error(`Unknown character: '${part}'`);
    }
  }
  return keys;
}

/** Finds a detach sequence in keyboard input, even split across reads. */
export class DetachWatcher {
  private matched = 0;

  constructor(private readonly keys: number[]) {}

  /** Bytes to forward, and whether the sequence completed (the rest is then dropped). */
  feed(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // a broken partial match is ordinary input after all
      out.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
