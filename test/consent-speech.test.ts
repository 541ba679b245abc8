// Advisory speech analysis at ingest (issue 12, item 5): with speech.engine pocketsphinx and
// phrases configured, real ingest of espeak-ng speech logs `speech.analysed` (engine, model
// hash, phrase ids and kinds, offsets; no words) and records advisory evidence (method
// verbal, source speech:pocketsphinx) that never decides the call's state: an objection
// does not refuse a call nor override the sidecar's grant; objections win over agreement
// ("I do not agree" holds "I agree"); a subject with an analytics objection is not analysed.
// Skipped with the reason when pocketsphinx_continuous, its en-us model or espeak-ng is missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingestSite, source, sidecarOf, type IngestSite } from './helpers/ingest.ts';
import { pocketsphinxEngine, setSwitch } from '../src/speech/index.ts';
import { createAccess } from '../src/access/index.ts';
import { addObjection } from '../src/privacy/objections.ts';
import type { ConsentEvidence } from '../src/core/types.ts';

const missing = pocketsphinxEngine().unavailable() ?? (() => {
  try {
    execFileSync('espeak-ng', ['--version']);
    return null;
  } catch {
    return 'espeak-ng is not installed (Debian: espeak-ng)';
  }
})();

const PHRASES = [
  { id: 'agree-1', kind: 'agree' as const, text: 'I agree' },
  { id: 'object-1', kind: 'object' as const, text: 'I do not agree' },
  { id: 'object-2', kind: 'object' as const, text: 'do not record' },
];

describe('speech at ingest (advisory)', { skip: missing ?? false }, () => {
  let s: IngestSite;
  before(async () => {
    s = await ingestSite((c) => {
      c.consent.policy = 'discard';
      c.speech = { engine: 'pocketsphinx', windowSeconds: 30, phrases: PHRASES, model: null };
    });
    // § 87(1) no. 6 BetrVG: off until switched on (test/works-council.test.ts)
    await setSwitch(s.site.store, s.site.log, 'user:adam', 'speech-analysis', true, 'works agreement');
  });
  after(() => s?.close());

  async function ingestSpeech(name: string, text: string, sidecar?: Record<string, unknown>) {
    const dir = s.work();
    const wav = join(dir, `${name}.wav`);
    execFileSync('espeak-ng', ['-w', wav, text]);
    if (sidecar) writeFileSync(sidecarOf(wav), JSON.stringify(sidecar));
    const o = await s.ingest.ingestFile(source(wav, sidecar ? sidecarOf(wav) : null));
    assert.equal(o.status, 'archived', JSON.stringify(o));
    const id = (o as { id: string }).id;
    const story = s.site.log.about('target', `recording:${id}`, 20);
    const access = createAccess({ store: s.site.store, keys: s.site.keys, archive: s.archive, log: s.site.log });
    const v = await access.view({ kind: 'user', name: 'dora', actor: 'user:dora', roles: ['dpo'] }, id);
    return { id, story, row: s.site.store.recordings.get(id)!, evidence: (v.consentEvidence ?? []) as ConsentEvidence[] };
  }

  it('"I agree to the recording": speech.analysed names agree-1 with offset; advisory verbal evidence; the state stays unknown', async () => {
    const r = await ingestSpeech('agree', 'Hello. Yes, I agree to the recording. Thank you.');
    const a = r.story.find((e) => e.action === 'speech.analysed')!;
    assert.ok(a, JSON.stringify(r.story.map((e) => e.action)));
    assert.equal(a.detail.engine, 'pocketsphinx');
    assert.match(String(a.detail.modelSha256), /^[0-9a-f]{64}$/);
    assert.equal(a.detail.verdict, 'agree');
    const m = a.detail.matches as { id: string; kind: string; offsetMs: number }[];
    assert.deepEqual(m.map((x) => [x.id, x.kind]), [['agree-1', 'agree']]);
    assert.ok(m[0]!.offsetMs > 0);
    assert.doesNotMatch(JSON.stringify(r.story), /agree to|I agree/i, 'no words of the call in the log');
    const v = r.evidence.find((e) => e.method === 'verbal')!;
    assert.deepEqual([v.state, v.source, v.advisory, v.offsetMs], ['granted', 'speech:pocketsphinx', true, m[0]!.offsetMs]);
    assert.equal(r.row.consentState, 'unknown', 'advisory: a finding never decides the state');
    assert.deepEqual(r.row.marks, ['consent-review'], 'still on the review list');
    const rec = r.story.find((e) => e.action === 'consent.recorded')!;
    assert.deepEqual([rec.detail.method, rec.detail.advisory], ['verbal', true]);
  });

  it('"I do not agree, do not record": the objection wins over the "agree" inside it; the call is not refused (policy discard) and the sidecar grant stands', async () => {
    const r = await ingestSpeech('object', 'No. I do not agree, do not record.', { consent: 'yes' });
    const a = r.story.find((e) => e.action === 'speech.analysed')!;
    assert.equal(a.detail.verdict, 'object', JSON.stringify(a.detail));
    const kinds = (a.detail.matches as { kind: string }[]).map((x) => x.kind);
    assert.ok(kinds.includes('object') && !kinds.includes('agree'), JSON.stringify(a.detail.matches));
    const v = r.evidence.find((e) => e.method === 'verbal')!;
    assert.deepEqual([v.state, v.advisory], ['denied', true]);
    assert.deepEqual(r.evidence.map((e) => [e.method, e.state]), [['sidecar', 'granted'], ['verbal', 'denied']]);
    assert.equal(r.row.consentState, 'granted', 'the sidecar decided; speech never overrides it');
    assert.equal(r.row.marks, undefined);
  });

  it('a sentence without the phrases gives speech.analysed with no match and no evidence', async () => {
    const r = await ingestSpeech('neutral', 'Good morning, I would like to change my delivery address please.');
    const a = r.story.find((e) => e.action === 'speech.analysed')!;
    assert.deepEqual([a.detail.verdict, a.detail.matches], [null, []]);
    assert.equal(r.evidence.filter((e) => e.method === 'verbal').length, 0);
  });

  it('a subject with an analytics objection is not analysed (speech.skipped)', async () => {
    await addObjection({ store: s.site.store, log: s.site.log, keys: s.site.keys, phone: s.config.phone }, 'user:dora', { number: '+4930555111', scope: 'analytics' });
    const r = await ingestSpeech('objected', 'Hello. Yes, I agree to the recording.', { from: '+4930555111' });
    assert.equal(r.story.filter((e) => e.action === 'speech.analysed').length, 0);
    assert.equal(r.story.find((e) => e.action === 'speech.skipped')!.detail.reason, 'analytics-objection');
    assert.equal(r.evidence.filter((e) => e.method === 'verbal').length, 0);
  });
});
