import { readFile } from 'node:fs/promises';
import { invalidArgument } from '../common/errors.js';
import { resolveInRoot } from './path-in-root.js';
import type { ProcessUser } from '../runtime/oci-spec.js';

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((line) => {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#')) return [];
    return [{ name: fields[0]!, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5]! }];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split('\n').flatMap((line) => {
    const fields = line.split(':');
    if (fields.length < 4 || line.startsWith('#')) return [];
    return [{ name: fields[0]!, gid: Number(fields[2]), members: fields[3]!.split(',').filter(Boolean) }];
  });
}

async function readInRoot(root: string, path: string): Promise<string> {
  try {
    return await readFile(await resolveInRoot(root, path), 'utf8');
  } catch {
    return '';
  }
}

const NUMERIC = /^\d+$/;

/**
 * Resolves docker's `--user` forms (name, uid, name:group, uid:gid) against the
 * image's /etc/passwd and /etc/group, with the user's supplementary groups, as
 * docker does. An unknown name is docker's error.
 */
export async function resolveUser(root: string, spec: string): Promise<ProcessUser & { home: string }> {
  const [userPart = '', groupPart] = spec === '' ? ['0'] : spec.split(':');
  // Read side by side: each is a walk of the path plus a read, about half a millisecond.
  const [passwdText, groupText] = await Promise.all([readInRoot(root, '/etc/passwd'), readInRoot(root, '/etc/group')]);
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  let uid: number;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const entry = NUMERIC.test(userPart) ? passwd.find((e) => e.uid === Number(userPart)) : passwd.find((e) => e.name === userPart);
  if (entry) {
    ({ uid, gid, home, name } = entry);
    if (NUMERIC.test(userPart)) uid = Number(userPart);
  } else if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
  } else {
    throw invalidArgument(`unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const group = groups.find((g) => g.name === groupPart);
      if (!group) throw invalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = group.gid;
    }
  }
  // As docker: a user named without a group gets its primary group and its /etc/group memberships.
  const additionalGids = name === undefined || groupPart ? [] : [gid, ...groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid)];
  return { uid, gid, additionalGids, home };
}

/**
 * docker's --group-add: each a group name of the image's /etc/group or a number,
 * added to the process's groups whoever the user is.
 */
export async function resolveGroups(root: string, wanted: string[]): Promise<number[]> {
  if (!wanted.length) return [];
  const groups = parseGroup(await readInRoot(root, '/etc/group'));
  return wanted.map((name) => {
    if (NUMERIC.test(name)) return Number(name);
    const group = groups.find((g) => g.name === name);
    if (!group) throw invalidArgument(`Unable to find group ${name}: no matching entries in group file`);
    return group.gid;
  });
}
