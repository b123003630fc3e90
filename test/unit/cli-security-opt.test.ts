import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSecurityOpts } from '../../src/cli/opts/security-opt.js';

describe('readSecurityOpts (the docker CLI side of --security-opt)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-secopt-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends nothing when no option is given, and built-in names and other options as typed', () => {
    assert.equal(readSecurityOpts([]), null);
    assert.deepEqual(readSecurityOpts(['seccomp=unconfined', 'seccomp=builtin', 'no-new-privileges', 'label=disable', 'apparmor:x']),
      ['seccomp=unconfined', 'seccomp=builtin', 'no-new-privileges', 'label=disable', 'apparmor:x']);
  });

  it("replaces a profile file by its compacted JSON, numbers and strings byte for byte", () => {
    const file = join(dir, 'profile.json');
    writeFileSync(file, '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "comment": "a \\"quoted\\" value  with spaces",\n  "syscalls": [ { "names": [ "mkdir" ], "action": "SCMP_ACT_ERRNO", "args": [ { "index": 1, "value": 18446744073709551615, "op": "SCMP_CMP_EQ" } ] } ]\n}\n');
    assert.deepEqual(readSecurityOpts([`seccomp=${file}`]), [
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW","comment":"a \\"quoted\\" value  with spaces","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}',
    ]);
  });

  it("fails in the docker CLI's words", () => {
    const missing = join(dir, 'missing.json');
    assert.throws(() => readSecurityOpts([`seccomp=${missing}`]), { message: `opening seccomp profile (${missing}) failed: open ${missing}: no such file or directory` });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{bad');
    assert.throws(() => readSecurityOpts([`seccomp=${bad}`]), { message: new RegExp(`^compacting json for seccomp profile \\(${bad}\\) failed: `) });
    assert.throws(() => readSecurityOpts(['seccomp']), { message: 'Invalid --security-opt: "seccomp"' });
    assert.throws(() => readSecurityOpts(['seccomp=']), { message: 'Invalid --security-opt: "seccomp="' });
  });
});
