// The no-consent policy gate (issue 12, item 4), as far as it goes today: with
// consent.policy set, denied calls are marked consent-denied and unknown ones
// consent-review (the review list); off (null), nothing changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { ingestSite, source, sidecarOf, type IngestSite } from './helpers/ingest.ts';
import { makeAudio } from './helpers/audio.ts';
import { consentDecision } from '../src/policy/index.ts';
import { cli } from './helpers/site.ts';

const facts = (consentState: 'granted' | 'denied' | 'unknown') => ({ start: 0, queue: null, direction: 'in' as const, purpose: null, tags: [], consentState, durationMs: 1000 });

describe('consent policy gate', () => {
  it('consentDecision_pure_marksDeniedAndUnknownOnlyWhenAPolicyIsSet', () => {
    assert.deepEqual(consentDecision(facts('denied'), null), { kind: 'pass' });
    assert.deepEqual(consentDecision(facts('denied'), 'restrict'), { kind: 'mark', mark: 'consent-denied' });
    assert.deepEqual(consentDecision(facts('unknown'), 'discard'), { kind: 'mark', mark: 'consent-review' });
    assert.deepEqual(consentDecision(facts('granted'), 'restrict'), { kind: 'pass' });
  });

  let s: IngestSite;
  before(async () => {
    s = await ingestSite((c) => { c.consent.policy = 'restrict'; });
  });
  after(() => s?.close());

  it('ingest with consent.policy: the row and recording.ingested carry the mark', async () => {
    const dir = s.work();
    const denied = await makeAudio(dir, 'denied', { format: 'wav-pcm8k', seconds: 1 });
    writeFileSync(sidecarOf(denied), JSON.stringify({ consent: 'no' }));
    const plain = await makeAudio(dir, 'plain', { format: 'wav-pcm8k', seconds: 2 });
    const a = await s.ingest.ingestFile(source(denied, sidecarOf(denied)));
    const b = await s.ingest.ingestFile(source(plain));
    assert.equal(a.status, 'archived', JSON.stringify(a));
    assert.equal(b.status, 'archived', JSON.stringify(b));
    assert.deepEqual(s.site.store.recordings.get((a as { id: string }).id)!.marks, ['consent-denied']);
    assert.deepEqual(s.site.store.recordings.get((b as { id: string }).id)!.marks, ['consent-review']);
    // the review list (CLI, async: the site is open in this process)
    const r = await cli(s.config, ['consent', 'review', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as { unknownDays: number; items: { id: string }[] };
    assert.equal(list.unknownDays, 30);
    assert.deepEqual(list.items.map((i) => i.id), [(b as { id: string }).id]);
    const show = await cli(s.config, ['consent', 'show', (a as { id: string }).id, '--json']);
    assert.equal(show.code, 0, show.stderr);
    assert.deepEqual((JSON.parse(show.stdout) as { consentEvidence: { method: string; state: string }[] }).consentEvidence.map((e) => [e.method, e.state]), [['sidecar', 'denied']]);
  });
});
