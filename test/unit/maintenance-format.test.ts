import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isYes } from '../../src/cli/confirm.js';
import { renderSummary } from '../../src/cli/format/disk-usage.js';
import { containerPruneOutcome, imagePruneOutcome, reclaimedLine } from '../../src/cli/format/prune.js';
import { checkFilterKeys, hasAllLabels, pruneLabelsMatch } from '../../src/common/label-filter.js';

describe('prune label filters', () => {
  it('need every label= spec and refuse when every label! spec matches', () => {
    const labels = { app: 'web', tier: 'front' };
    assert.equal(pruneLabelsMatch(labels, {}), true);
    assert.equal(pruneLabelsMatch(labels, { label: ['app'] }), true);
    assert.equal(pruneLabelsMatch(labels, { label: ['app=web', 'tier=front'] }), true);
    assert.equal(pruneLabelsMatch(labels, { label: ['app=db'] }), false);
    assert.equal(pruneLabelsMatch(labels, { label: ['app', 'missing'] }), false);
    assert.equal(pruneLabelsMatch(labels, { 'label!': ['app=web'] }), false);
    assert.equal(pruneLabelsMatch(labels, { 'label!': ['app=db'] }), true);
    assert.equal(pruneLabelsMatch(labels, { 'label!': ['app', 'missing'] }), true);
  });

  it('count only the labels an object has, never names of its prototype', () => {
    assert.equal(hasAllLabels({ app: 'web' }, ['app', 'app=web']), true);
    assert.equal(hasAllLabels({ app: 'web' }, ['toString']), false);
    assert.equal(hasAllLabels({ app: 'web' }, ['constructor=Object']), false);
    assert.equal(hasAllLabels({ 'a=b': 'c' }, ['a=b=c']), false);
    assert.equal(hasAllLabels({ a: 'b=c' }, ['a=b=c']), true);
  });

  it('refuse a filter the endpoint does not know', () => {
    assert.doesNotThrow(() => checkFilterKeys({ label: ['x'] }, ['label', 'until']));
    assert.throws(() => checkFilterKeys({ nonsense: ['1'] }, ['label']), /invalid filter 'nonsense'/);
  });
});

describe('prune output', () => {
  it("prints deleted containers and the total as docker's CLI does", () => {
    const outcome = containerPruneOutcome({ ContainersDeleted: ['aaa', 'bbb'], SpaceReclaimed: 1_234_567 });
    assert.equal(outcome.text + reclaimedLine(outcome.reclaimed), 'Deleted Containers:\naaa\nbbb\n\nTotal reclaimed space: 1.235MB\n');
    assert.deepEqual(containerPruneOutcome({ ContainersDeleted: null, SpaceReclaimed: 0 }), { text: '', reclaimed: 0 });
  });

  it('prints untagged and deleted images', () => {
    const outcome = imagePruneOutcome({ ImagesDeleted: [{ Untagged: 'old:latest' }, { Deleted: 'sha256:1' }], SpaceReclaimed: 999 });
    assert.equal(outcome.text + reclaimedLine(outcome.reclaimed), 'Deleted Images:\nuntagged: old:latest\ndeleted: sha256:1\n\nTotal reclaimed space: 999B\n');
  });

  it('takes y or yes as confirmation, anything else as refusal', () => {
    for (const answer of ['y', 'Y', 'yes', ' YES \r']) assert.equal(isYes(answer), true, answer);
    for (const answer of ['', 'n', 'no', 'yep']) assert.equal(isYes(answer), false, answer);
  });
});

describe('system df summary', () => {
  it("computes active counts and reclaimable space as docker's formatter does", () => {
    const text = renderSummary(
      {
        LayersSize: 3_000_000,
        Images: [
          { Id: 'sha256:a', Size: 2_000_000, SharedSize: 500_000, Containers: 1 },
          { Id: 'sha256:b', Size: 1_500_000, SharedSize: 500_000, Containers: 0 },
        ],
        Containers: [
          { Id: 'c1', State: 'running', SizeRw: 100 },
          { Id: 'c2', State: 'exited', SizeRw: 300 },
        ],
        Volumes: [],
        BuildCache: [],
      },
      undefined,
    );
    assert.equal(
      text,
      [
        'TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE',
        'Images          2         1         3MB       1.5MB (50%)',
        'Containers      2         1         400B      300B (75%)',
        'Local Volumes   0         0         0B        0B',
        'Build Cache     0         0         0B        0B',
        '',
      ].join('\n'),
    );
  });

  it('applies a Go template to each row', () => {
    const text = renderSummary({ LayersSize: 0, Images: [], Containers: [], Volumes: [], BuildCache: [] }, '{{.Type}}={{.TotalCount}}');
    assert.equal(text, 'Images=0\nContainers=0\nLocal Volumes=0\nBuild Cache=0\n');
  });
});
