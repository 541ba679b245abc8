// The no-consent policy gate (issue 12, item 4): with consent.policy `discard` a denied
// call is not archived (source destroyed, recording.refused consent-denied); with
// `restrict` it is kept behind a barrier the access door never lifts; unknown ones are
// marked consent-review (the review list); off (null), nothing changes.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { ingestSite, source, sidecarOf, type IngestSite } from './helpers/ingest.ts';
import { makeAudio } from './helpers/audio.ts';
import { consentDecision } from '../src/policy/index.ts';
import { cli } from './helpers/site.ts';
import { existsSync } from 'node:fs';
import { createAccess } from '../src/access/index.ts';

const facts = (consentState: 'granted' | 'denied' | 'unknown') => ({ start: 0, queue: null, direction: 'in' as const, purpose: null, tags: [], consentState, durationMs: 1000 });

describe('consent policy gate', () => {
  it('consentDecision_pure_marksDeniedAndUnknownOnlyWhenAPolicyIsSet', () => {
    assert.deepEqual(consentDecision(facts('denied'), null), { kind: 'pass' });
    assert.deepEqual(consentDecision(facts('denied'), 'restrict'), { kind: 'mark', mark: 'restricted:consent-denied' });
    assert.deepEqual(consentDecision(facts('denied'), 'discard'), { kind: 'discard', reason: 'consent-denied' });
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
    assert.deepEqual(s.site.store.recordings.get((a as { id: string }).id)!.marks, ['restricted:consent-denied']);
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

  it('a call kept without consent is never played, not even by a dpo giving a legal-claims reason', async () => {
    const dir = s.work();
    const denied = await makeAudio(dir, 'denied2', { format: 'wav-pcm8k', seconds: 1 });
    writeFileSync(sidecarOf(denied), JSON.stringify({ consent: 'no' }));
    const o = await s.ingest.ingestFile(source(denied, sidecarOf(denied)));
    const id = (o as { id: string }).id;
    const access = createAccess({ store: s.site.store, keys: s.site.keys, archive: s.archive, log: s.site.log });
    const dpo = { kind: 'user' as const, name: 'dora', actor: 'user:dora', roles: ['dpo' as const] };
    await assert.rejects(access.readAudio(dpo, id, 'recording.played', { detail: { legalClaims: 'case 4711' } }),
      (e: Error & { detail?: { reason?: string } }) => e.detail?.reason === 'consent-denied' && /only erased/.test(e.message));
    const last = s.site.log.entries(s.site.log.size() - 1, s.site.log.size())[0]!;
    assert.equal(last.action, 'access.denied');
    assert.equal(last.detail.reason, 'consent-denied');
  });
});

describe('consent policy discard', () => {
  let s: IngestSite;
  before(async () => {
    s = await ingestSite((c) => { c.consent.policy = 'discard'; });
  });
  after(() => s?.close());

  it('a denied call is not archived: source and sidecar destroyed, nothing quarantined, recording.refused logged', async () => {
    const dir = s.work();
    const denied = await makeAudio(dir, 'denied', { format: 'wav-pcm8k', seconds: 1 });
    writeFileSync(sidecarOf(denied), JSON.stringify({ consent: 'no', from: '+4930111222' }));
    const before = s.site.store.recordings.count();
    const o = await s.ingest.ingestFile(source(denied, sidecarOf(denied)));
    assert.equal(o.status, 'refused', JSON.stringify(o));
    assert.equal(existsSync(denied), false, 'the source is destroyed');
    assert.equal(existsSync(sidecarOf(denied)), false, 'the sidecar is destroyed');
    assert.equal(s.site.store.recordings.count(), before);
    assert.equal(s.site.store.quarantine.count(), 0);
    const refused = s.site.log.entries(0, s.site.log.size()).filter((e) => e.action === 'recording.refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.detail.reason, 'consent-denied');
    assert.doesNotMatch(JSON.stringify(s.site.log.entries(0, s.site.log.size())), /30111222/);
  });
});
