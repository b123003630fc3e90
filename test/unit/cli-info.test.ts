import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderInfo } from '../../src/cli/commands/info.js';

describe('renderInfo', () => {
  it("lists the security options as docker info does, before the kernel version", () => {
    const text = renderInfo({ SecurityOptions: ['name=seccomp,profile=builtin', 'name=cgroupns'], KernelVersion: '6.1.0' }, 'unix:///x.sock');
    assert.match(text, /\n Default Runtime: \n Security Options:\n  seccomp\n   Profile: builtin\n  cgroupns\n Kernel Version: 6\.1\.0\n/);
  });

  it('has no such section when the daemon reports none', () => {
    assert.doesNotMatch(renderInfo({ SecurityOptions: [] }, 'unix:///x.sock'), /Security Options/);
  });
});
