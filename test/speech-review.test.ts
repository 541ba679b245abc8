// Reviewing advisory speech findings (issue 12, item 5): real ingest of espeak-ng speech
// with PocketSphinx, the real Hono app. A supervisor or dpo sees a call's findings
// (phrase, offset, confidence, engine, model hash) on the recording page and confirms or
// dismisses each with a CSRF-protected form; only a confirmation becomes consent evidence
// (verbal, source speech-review, who confirmed) and the state follows it; the log has
// speech.finding.confirmed / .dismissed with ids, no words; a confirmed objection offers
// the dpo an objection request. The same over the API with a Bearer token.
// Skipped with the reason when pocketsphinx_continuous, its en-us model or espeak-ng is missing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webSite, makeUser, browser, type WebSite } from './helpers/web.ts';
import { createApiToken } from '../src/auth/index.ts';
import { cliPrincipal } from '../src/auth/roles.ts';
import { pocketsphinxEngine, setSwitch } from '../src/speech/index.ts';
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

describe('speech findings: review on the recording page and the API', { skip: missing ?? false }, () => {
  let w: WebSite;
  let dpoToken: string;
  let n = 0;
  before(async () => {
    w = await webSite((c) => {
      c.speech = { engine: 'pocketsphinx', windowSeconds: 30, phrases: PHRASES, model: null };
    });
    await setSwitch(w.site.store, w.site.log, 'user:adam', 'speech-analysis', true, 'works agreement');
    await makeUser(w, 'sam', ['supervisor']);
    await makeUser(w, 'dora', ['dpo']);
    await makeUser(w, 'adam', ['admin']);
    dpoToken = (await createApiToken(w.site.store, w.site.log, 'cli:test', 'dora', 'review tool')).token;
  });
  after(() => w?.close());

  const entries = (action: string, id: string) => w.site.log.about('target', `recording:${id}`, 100).filter((e) => e.action === action);
  const evidence = async (id: string) => (await w.access.view(cliPrincipal('cli:test'), id)).consentEvidence as ConsentEvidence[];

  async function speechCall(text: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'tresor-speech-call-'));
    const path = join(dir, `in-4930123456-015120000001-20261201-1015${String(n).padStart(2, '0')}-17640${++n}.1.wav`);
    execFileSync('espeak-ng', ['-w', path, text]);
    const o = await w.ingestPath(path);
    assert.equal(o.status, 'archived', JSON.stringify(o));
    return (o as { id: string }).id;
  }
  const findingIds = (html: string) => [...html.matchAll(/data-finding="([0-9a-f]{16}\.\d+)"/g)].map((m) => m[1]!);

  it('a supervisor sees the finding with offset, confidence, engine and model hash, confirms it: verbal evidence from speech-review, logged without words', async () => {
    const id = await speechCall('Hello. Yes, I agree to the recording. Thank you.');
    assert.equal(w.site.store.recordings.get(id)!.consentState, 'unknown');
    const b = browser(w);
    assert.equal((await b.login('sam')).status, 303);
    const page = await (await b.get(`/recordings/${id}`)).text();
    assert.match(page, /Speech findings \(advisory\)/);
    const [fid] = findingIds(page);
    assert.ok(fid, page);
    const row = page.slice(page.indexOf(`data-finding="${fid}"`));
    assert.match(row, /„I agree“ <code>agree-1<\/code>/);
    assert.match(row, /agreement/);
    assert.match(row, /\d+\.\d\d s/);
    assert.match(row, /pocketsphinx <code title="[0-9a-f]{64}">/);
    assert.match(row, new RegExp(`action="/recordings/${id}/findings/${fid.replace('.', '\\.')}/confirm"`));

    // without the form's CSRF token: refused, nothing recorded
    const forged = await b.post(`/recordings/${id}/findings/${fid}/confirm`, {}, { Origin: 'http://evil.test' });
    assert.equal(forged.status, 403);
    const real = b.csrf;
    b.csrf = 'x'.repeat(real.length);
    assert.equal((await b.post(`/recordings/${id}/findings/${fid}/confirm`)).status, 403);
    assert.equal(entries('speech.finding.confirmed', id).length, 0);
    b.csrf = real;

    const res = await b.post(`/recordings/${id}/findings/${fid}/confirm`);
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), `/recordings/${id}#findings`);
    const ev = (await evidence(id)).filter((e) => e.source === 'speech-review');
    assert.equal(ev.length, 1);
    assert.deepEqual([ev[0]!.method, ev[0]!.state, ev[0]!.advisory], ['verbal', 'granted', undefined]);
    assert.equal((ev[0]!.evidence as { confirmedBy: string }).confirmedBy, 'user:sam');
    assert.equal(w.site.store.recordings.get(id)!.consentState, 'granted', 'a confirmation is evidence: the state follows it');
    const c = entries('speech.finding.confirmed', id);
    assert.equal(c.length, 1);
    assert.deepEqual([c[0]!.actor, c[0]!.detail.finding, c[0]!.detail.phrase, c[0]!.detail.kind], ['user:sam', fid, 'agree-1', 'agree']);
    assert.match(String(c[0]!.detail.evidenceSha256), /^[0-9a-f]{64}$/);
    const rec = entries('consent.recorded', id).find((e) => e.detail.review)!;
    assert.deepEqual([rec.detail.method, rec.detail.state, rec.detail.review, rec.detail.evidenceSha256], ['verbal', 'granted', fid, c[0]!.detail.evidenceSha256]);
    assert.doesNotMatch(JSON.stringify(w.site.log.about('target', `recording:${id}`, 100)), /I agree|agree to/i, 'no words in the log');

    const after = await (await b.get(`/recordings/${id}`)).text();
    assert.match(after, /confirmed by user:sam/);
    assert.doesNotMatch(after, new RegExp(`findings/${fid.replace('.', '\\.')}/confirm`), 'decided: no more forms');
    assert.equal((await b.post(`/recordings/${id}/findings/${fid}/dismiss`)).status, 409, 'decided once');
  });

  it('German labels on the page', async () => {
    const id = await speechCall('Good morning. Yes, I agree to the recording.');
    const b = browser(w);
    await b.login('sam');
    const de = await (await b.get(`/recordings/${id}`, { 'Accept-Language': 'de' })).text();
    assert.match(de, /Sprachhinweise \(nur beratend\)/);
    assert.match(de, />Bestätigen</);
    assert.match(de, />Verwerfen</);
  });

  it('an admin (no speech.review) sees no findings and cannot confirm (logged access.denied)', async () => {
    const id = await speechCall('Hi there. Yes, I agree to the recording.');
    const b = browser(w);
    await b.login('adam');
    const page = await (await b.get(`/recordings/${id}`)).text();
    assert.doesNotMatch(page, /Speech findings/);
    const fid = `${w.site.store.recordings.get(id)!.consentEvidence!.find((e) => e.advisory)!.sha256.slice(0, 16)}.0`;
    assert.equal((await b.post(`/recordings/${id}/findings/${fid}/confirm`)).status, 403);
    assert.equal(entries('access.denied', id).at(-1)!.detail.needs, 'speech.review');
    assert.equal(entries('speech.finding.confirmed', id).length, 0);
  });

  it('a dpo confirms an objection: state denied, the page offers an objection request, which opens for the caller', async () => {
    const id = await speechCall('No. I do not agree, do not record.');
    const b = browser(w);
    await b.login('dora');
    const page = await (await b.get(`/recordings/${id}`)).text();
    const ids = findingIds(page);
    assert.ok(ids.length >= 1, page);
    const fid = ids[0]!;
    assert.match(page.slice(page.indexOf(`data-finding="${fid}"`)), /objection/);
    assert.equal((await b.post(`/recordings/${id}/findings/${fid}/confirm`)).status, 303);
    assert.equal(w.site.store.recordings.get(id)!.consentState, 'denied');
    const after = await (await b.get(`/recordings/${id}`)).text();
    assert.match(after, /Open an objection request \(Art\. 21 GDPR\)/);
    const r = await b.post(`/recordings/${id}/findings/${fid}/objection-request`);
    assert.equal(r.status, 303);
    const rid = /\/privacy\/requests\/([0-9A-Z]{26})$/.exec(r.headers.get('location') ?? '')?.[1];
    assert.ok(rid, String(r.headers.get('location')));
    const req = w.site.store.requests.get(rid)!;
    assert.deepEqual([req.kind, req.channel], ['objection', 'speech-review']);
    assert.equal(entries('speech.finding.objection-request', id).at(-1)!.detail.request, rid);
    // a supervisor is told to ask the dpo instead
    const s = browser(w);
    await s.login('sam');
    assert.match(await (await s.get(`/recordings/${id}`)).text(), /tell the data protection officer/);
  });

  it('API: GET /api/recordings/:id/findings and POST …/dismiss with a dpo Bearer token; a dismissal is not evidence', async () => {
    // ("Hello again. Yes, I agree to the recording." is missed by PocketSphinx: advisory indeed)
    const id = await speechCall('Good afternoon. Yes, I agree to the recording.');
    const api = (path: string, method = 'GET') => w.app.request(path, { method, headers: { Host: 'tresor.test', Authorization: `Bearer ${dpoToken}` } });
    const g = await api(`/api/recordings/${id}/findings`);
    assert.equal(g.status, 200);
    const { findings } = await g.json() as { findings: { id: string; phrase: string; kind: string; offsetMs: number; confidence: number; engine: string; modelSha256: string; status: string }[] };
    assert.equal(findings[0]!.phrase, 'agree-1');
    assert.deepEqual([findings[0]!.engine, findings[0]!.status], ['pocketsphinx', 'open']);
    assert.match(findings[0]!.modelSha256, /^[0-9a-f]{64}$/);
    assert.match(entries('speech.findings.viewed', id).at(-1)!.actor, /^token:/, 'opening the sealed findings is logged');
    const before = (await evidence(id)).length;
    const d = await api(`/api/recordings/${id}/findings/${findings[0]!.id}/dismiss`, 'POST');
    assert.equal(d.status, 200, await d.clone().text());
    assert.equal(((await d.json()) as { finding: { status: string } }).finding.status, 'dismissed');
    assert.equal((await evidence(id)).length, before, 'a dismissal records no evidence');
    assert.equal(w.site.store.recordings.get(id)!.consentState, 'unknown');
    const e = entries('speech.finding.dismissed', id);
    assert.deepEqual([e.length, e[0]!.detail.finding, e[0]!.detail.phrase], [1, findings[0]!.id, 'agree-1']);
    // a console cookie cannot write through the API
    const b = browser(w);
    await b.login('dora');
    const viaCookie = await w.app.request(`/api/recordings/${id}/findings/${findings[0]!.id}/confirm`, { method: 'POST', headers: { Host: 'tresor.test', Origin: 'http://tresor.test', Cookie: b.cookie, 'X-CSRF-Token': b.csrf } });
    assert.equal(viaCookie.status, 405);
  });
});
