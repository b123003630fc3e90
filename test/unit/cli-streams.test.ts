import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DetachWatcher } from '../../src/common/detach-keys.js';
import { Demuxer, parseDetachKeys } from '../../src/cli/streams.js';
import { encodeQuery, parseHost, resolveHost } from '../../src/cli/client.js';
import { encodeFilters } from '../../src/cli/commands/shared.js';
import { startFailureStatus } from '../../src/cli/commands/run.js';

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('multiplexed stream', () => {
  it('splits frames even when they arrive in pieces', () => {
    const got: Array<[number, string]> = [];
    const demuxer = new Demuxer((stream, payload) => got.push([stream, payload.toString()]));
    const bytes = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, '')]);
    for (let i = 0; i < bytes.length; i += 3) demuxer.push(bytes.subarray(i, i + 3));
    assert.deepEqual(got, [[1, 'out\n'], [2, 'err\n'], [1, '']]);
  });
});

describe('detach keys', () => {
  it('parses docker\'s syntax', () => {
    assert.deepEqual(parseDetachKeys('ctrl-p,ctrl-q'), [0x10, 0x11]);
    assert.deepEqual(parseDetachKeys('ctrl-@,a,ctrl-['), [0, 97, 27]);
    assert.throws(() => parseDetachKeys('ctrl-é'), /Unknown character/);
  });
  it('detects the sequence across reads and forwards broken prefixes', () => {
    const watcher = new DetachWatcher([0x10, 0x11]);
    assert.deepEqual(watcher.feed(Buffer.from([0x61, 0x10])), { forward: Buffer.from([0x61]), detach: false });
    assert.deepEqual(watcher.feed(Buffer.from([0x62])), { forward: Buffer.from([0x10, 0x62]), detach: false });
    assert.deepEqual(watcher.feed(Buffer.from([0x10])), { forward: Buffer.alloc(0), detach: false });
    assert.equal(watcher.feed(Buffer.from([0x11, 0x63])).detach, true);
  });
});

describe('client settings', () => {
  it('picks the host from the flag, BERTH_HOST, DOCKER_HOST, then the default', () => {
    assert.equal(resolveHost('unix:///a', { BERTH_HOST: 'unix:///b' }), 'unix:///a');
    assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
    assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
    assert.equal(resolveHost(undefined, {}), 'unix:///run/berth/berth.sock');
  });
  it('parses unix and tcp hosts', () => {
    assert.deepEqual(parseHost('unix:///run/x.sock'), { socketPath: '/run/x.sock' });
    assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { host: '127.0.0.1', port: 2375 });
    assert.throws(() => parseHost('ftp://x'), /unable to parse/);
  });
  it('encodes queries like docker (booleans as 1/0, repeated lists)', () => {
    assert.equal(encodeQuery({ all: true, force: false, skip: undefined, changes: ['CMD ["sh"]', 'ENV A=1'] }), '?all=1&force=0&changes=CMD+%5B%22sh%22%5D&changes=ENV+A%3D1');
    assert.equal(encodeQuery({}), '');
  });
  it('encodes filters as docker\'s map of sets', () => {
    assert.equal(encodeFilters(['status=running', 'label=a=b', 'status=paused']), '{"status":{"running":true,"paused":true},"label":{"a=b":true}}');
    assert.equal(encodeFilters([]), undefined);
  });
});

describe('run exit status for start failures', () => {
  it('maps the runtime message like docker', () => {
    assert.equal(startFailureStatus('exec: "nope": executable file not found in $PATH: unknown'), 127);
    assert.equal(startFailureStatus('exec /x: no such file or directory'), 127);
    assert.equal(startFailureStatus('exec /etc/passwd: permission denied'), 126);
    assert.equal(startFailureStatus('cgroup setup failed'), 125);
  });
});
