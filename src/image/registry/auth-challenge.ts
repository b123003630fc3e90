/** A `WWW-Authenticate` challenge: its scheme (lowercased) and parameters. */
export interface AuthChallenge {
  scheme: string;
  parameters: Record<string, string>;
}

/**
 * Parses `WWW-Authenticate` values such as
 * `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"`
 * or `Basic realm="Registry Realm"` (RFC 7235; quoted values may hold commas and escapes).
 */
export function parseChallenges(header: string | string[] | undefined): AuthChallenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const challenges: AuthChallenge[] = [];
  for (const value of values) {
    let index = 0;
    let current: AuthChallenge | undefined;
    while (index < value.length) {
      const token = /^[\s,]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)/.exec(value.slice(index));
      if (token === null) break;
      index += token[0].length;
      const name = token[1]!;
      const afterName = value.slice(index);
      const equals = /^\s*=\s*/.exec(afterName);
      if (equals === null || current === undefined) {
        current = { scheme: name.toLowerCase(), parameters: {} };
        challenges.push(current);
        continue;
      }
      index += equals[0].length;
      let parameterValue = '';
      if (value[index] === '"') {
        index += 1;
        while (index < value.length && value[index] !== '"') {
          if (value[index] === '\\' && index + 1 < value.length) index += 1;
          parameterValue += value[index];
          index += 1;
        }
        index += 1;
      } else {
        const bare = /^[^\s,]*/.exec(value.slice(index))![0];
        parameterValue = bare;
        index += bare.length;
      }
      current.parameters[name.toLowerCase()] = parameterValue;
    }
  }
  return challenges;
}
