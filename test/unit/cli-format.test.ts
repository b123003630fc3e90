import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containerRow, displayablePorts, psFormat } from '../../src/cli/format/containers.js';
import { ellipsis, renderList, truncateId } from '../../src/cli/format/formatter.js';
import { imageRows, imagesFormat } from '../../src/cli/format/images.js';
import { searchFormat, searchRows } from '../../src/cli/format/search.js';
import { alignTabs } from '../../src/cli/format/tabwriter.js';

describe('tabwriter alignment', () => {
  it('pads columns to the widest cell plus 3, at least 10 wide, last column unpadded', () => {
    const out = alignTabs('CONTAINER ID\tIMAGE\tCOMMAND\tNAMES\nabc\tbusybox:latest\t"sh"\tweb\n');
    assert.equal(out, 'CONTAINER ID   IMAGE            COMMAND   NAMES\nabc            busybox:latest   "sh"      web\n');
  });
  it('aligns only consecutive lines that have the column', () => {
    assert.equal(alignTabs('a\tb\nno tabs here\nlonger cell\tc\n'), 'a         b\nno tabs here\nlonger cell   c\n');
  });
  it('counts characters, not bytes', () => {
    assert.equal(alignTabs('"sh -c…"\tx\n'), '"sh -c…"   x\n');
  });
});

describe('ps rows', () => {
  const now = Date.UTC(2024, 0, 1, 12, 0, 0);
  const summary = {
    Id: 'f'.repeat(64),
    Names: ['/web', '/other/link'],
    Image: 'busybox',
    Command: "sh -c 'while true; do sleep 1; done'",
    Created: now / 1000 - 125,
    Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
    State: 'running',
    Status: 'Up 2 minutes',
    Labels: { a: 'b' },
  };

  it('renders the default table like docker ps', () => {
    const out = renderList(psFormat(undefined, false), [containerRow(summary, true, now)]);
    assert.equal(
      out,
      'CONTAINER ID   IMAGE     COMMAND                  CREATED         STATUS         PORTS                  NAMES\n' +
        `ffffffffffff   busybox   "sh -c 'while true; …"   2 minutes ago   Up 2 minutes   0.0.0.0:8080->80/tcp   web\n`,
    );
  });

  it('renders a custom table, json and plain templates', () => {
    const row = containerRow(summary, true, now);
    assert.equal(renderList(psFormat('table {{.ID}}\\t{{.Label "a"}}', false), [row]), 'CONTAINER ID   a\nffffffffffff   b\n');
    assert.equal(renderList(psFormat('{{.Names}}', false), [row]), 'web\n');
    const json = JSON.parse(renderList(psFormat('json', false), [row])) as Record<string, string>;
    assert.equal(json.ID, 'ffffffffffff');
    assert.equal(json.Command, `"sh -c 'while true; …"`);
    assert.deepEqual(Object.keys(json), [...Object.keys(json)].sort());
  });

  it('shows everything with --no-trunc', () => {
    const row = containerRow(summary, false, now);
    assert.equal(renderList(psFormat('{{.ID}} {{.Names}} {{.Command}}', false), [row]), `${'f'.repeat(64)} web,other/link "sh -c 'while true; do sleep 1; done'"\n`);
  });

  it('groups ports like docker', () => {
    assert.equal(
      displayablePorts([
        { PrivatePort: 82, Type: 'tcp' },
        { PrivatePort: 81, Type: 'tcp' },
        { PrivatePort: 53, Type: 'udp' },
        { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 443, PublicPort: 443, Type: 'tcp' },
        { IP: '0.0.0.0', PrivatePort: 444, PublicPort: 444, Type: 'tcp' },
      ]),
      '53/udp, 81-82/tcp, 0.0.0.0:443-444->443-444/tcp, [::]:8080->80/tcp',
    );
  });
});

describe('images rows', () => {
  it('lists one row per tag and <none> for untagged images', () => {
    const images = [
      { Id: 'sha256:' + '3'.repeat(64), RepoTags: ['busybox:latest', 'busybox:1.36'], RepoDigests: ['busybox@sha256:' + '4'.repeat(64)], Created: 0, Size: 4261234 },
      { Id: 'sha256:' + '5'.repeat(64), RepoTags: [], RepoDigests: [], Created: 0, Size: 1234 },
    ];
    const out = renderList(imagesFormat('{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}', false), imageRows(images, { trunc: true, digests: false }));
    assert.equal(out, `busybox:latest 333333333333 4.26MB\nbusybox:1.36 333333333333 4.26MB\n<none>:<none> 555555555555 1.23kB\n`);
  });
});

describe('truncation helpers', () => {
  it('cuts ids and long text like docker', () => {
    assert.equal(truncateId('sha256:0123456789abcdef'), '0123456789ab');
    assert.equal(ellipsis('abcdef', 4), 'abc…');
    assert.equal(ellipsis('abc', 4), 'abc');
  });
});

describe('search rows', () => {
  const results = [
    { name: 'busybox', description: 'Busybox base image.', star_count: 3300, is_official: true, is_automated: false },
    { name: 'x/y', description: 'A very long description\nthat goes on and on beyond forty five characters', star_count: 12 },
  ];

  it("renders docker 28's table: description on one line, cut at 45 characters", () => {
    assert.equal(
      renderList(searchFormat(undefined), searchRows(results, true)),
      'NAME      DESCRIPTION                                     STARS     OFFICIAL\n' +
        'busybox   Busybox base image.                             3300      [OK]\n' +
        'x/y       A very long description that goes on and on …   12        \n',
    );
    assert.match(renderList(searchFormat('{{.Description}}'), searchRows(results, false)), /that goes on and on beyond forty five characters\n$/);
  });

  it('writes IsOfficial as "[OK]" in a template but as "true"/"false" in JSON', () => {
    assert.equal(renderList(searchFormat('{{.IsOfficial}}|{{json .IsOfficial}}'), searchRows(results.slice(0, 1), true)), '[OK]|"[OK]"\n');
    assert.equal(
      renderList(searchFormat('json'), searchRows(results, true)),
      '{"Description":"Busybox base image.","IsOfficial":"true","Name":"busybox","StarCount":"3300"}\n' +
        '{"Description":"A very long description that goes on and on …","IsOfficial":"false","Name":"x/y","StarCount":"12"}\n',
    );
  });
});
