// Consent you can prove (issue 12, items 1-3): the sidecar's claim, events from the PBX/CRM
// (POST /api/consent, role integration) before and after the file, and DTMF in the audio,
// each sealed with the call's key and logged as consent.recorded (method, state, hash of
// the sealed bytes; no personal data). Real LMDB, real ffmpeg, the real Hono app.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHash } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webSite, makeUser, browser, type WebSite } from './helpers/web.ts';
import { createApiToken } from '../src/auth/index.ts';
import { cliPrincipal } from '../src/auth/roles.ts';
import { wavHeader } from './helpers/audio.ts';
import { pressPcm } from './helpers/dtmf.ts';

const NAME = (uid: string) => `in-4930123456-015120000001-20261201-101500-${uid}.wav`;

describe('consent evidence', () => {
  let w: WebSite;
  const tokens: Record<string, string> = {};
  before(async () => {
    w = await webSite((c) => { c.consent.dtmf = { grant: '1', deny: '2', windowSeconds: 5 }; });
    for (const r of ['integration', 'dpo'] as const) {
      await makeUser(w, `u-${r}`, [r]);
      tokens[r] = (await createApiToken(w.site.store, w.site.log, 'cli:test', `u-${r}`, 'test')).token;
    }
  });
  after(() => w?.close());

  const api = (role: string, path: string, body?: unknown) => w.app.request(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Host: 'tresor.test', Authorization: `Bearer ${tokens[role]}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const entries = (action: string) => [...w.site.store.log.range(0, Number.MAX_SAFE_INTEGER)].map((l) => JSON.parse(l.value)).filter((e: { action: string }) => e.action === action);

  it('a sidecar consent becomes evidence with method sidecar, logged with the sealed hash and no personal data', async () => {
    const id = await w.ingestCall(NAME('1764000001.1'), { seconds: 2, source: 'noise' }, { consent: { state: 'granted', method: 'ivr', evidence: 'pressed one' } });
    const row = w.site.store.recordings.get(id)!;
    assert.equal(row.consentEvidence?.length, 1);
    const sealed = row.consentEvidence![0]!;
    assert.equal(sealed.method, 'sidecar');
    assert.equal(sealed.sha256, createHash('sha256').update(sealed.sealed).digest('hex'));
    const e = entries('consent.recorded').find((x: { target: string }) => x.target === `recording:${id}`);
    assert.deepEqual(e.detail, { method: 'sidecar', state: 'granted', evidenceSha256: sealed.sha256 });
    assert.doesNotMatch(JSON.stringify(e), /pressed one|015120000001/);
    const v = await w.access.view(cliPrincipal('cli:test'), id);
    assert.equal(v.consentEvidence?.[0]?.method, 'sidecar');
    assert.deepEqual(v.consentEvidence?.[0]?.evidence, { method: 'ivr', text: 'pressed one' });
  });

  it('DTMF 2 in the consent window is recorded as denied with its offset', async () => {
    const pcm = pressPcm(4, [{ digit: '2', at: 1.5 }], 9);
    const dir = mkdtempSync(join(tmpdir(), 'tresor-dtmf-call-'));
    const path = join(dir, NAME('1764000002.2'));
    writeFileSync(path, Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataBytes: pcm.length }), pcm]));
    const o = await w.ingestPath(path);
    assert.equal(o.status, 'archived', JSON.stringify(o));
    const id = (o as { id: string }).id;
    const row = w.site.store.recordings.get(id)!;
    assert.deepEqual(row.consentEvidence?.map((s) => [s.method, s.state]), [['dtmf', 'denied']]);
    assert.equal(row.consentState, 'denied');
    const v = await w.access.view(cliPrincipal('cli:test'), id);
    const ev = v.consentEvidence![0]!;
    assert.equal((ev.evidence as { digit: string }).digit, '2');
    // the stored Opus decoded again: within 40 ms of where the key was pressed
    assert.ok(Math.abs(ev.offsetMs! - 1500) <= 40, String(ev.offsetMs));
    // the recording page shows it to a dpo
    const b = browser(w);
    await b.login('u-dpo');
    const page = await (await b.get(`/recordings/${id}`)).text();
    assert.match(page, /tresor:dtmf/);
    assert.match(page, /&quot;digit&quot;:&quot;2&quot;|"digit":"2"/);
  });

  it('POST /api/consent: only role integration; an event for an archived call is applied and logged', async () => {
    const id = await w.ingestCall(NAME('1764000003.3'), { seconds: 2, source: 'noise' });
    const body = { callId: '1764000003.3', state: 'denied', method: 'crm', at: '2026-12-01T10:16:00Z', promptVersion: 'v7', source: 'crm-x' };
    assert.equal((await api('dpo', '/api/consent', body)).status, 403);
    const r = await api('integration', '/api/consent', body);
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual(await r.json(), { status: 'applied', recordings: [id] });
    assert.equal(w.site.store.recordings.get(id)!.consentState, 'denied');
    const e = entries('consent.recorded').find((x: { target: string }) => x.target === `recording:${id}`);
    assert.equal(e.detail.method, 'crm');
    assert.equal(e.detail.after, 'archived');
    // the integration role reads nothing
    assert.equal((await api('integration', '/api/recordings')).status, 403);
    assert.equal((await api('integration', `/api/recordings/${id}`)).status, 403);
    assert.equal((await api('integration', '/api/consent', { ...body, method: 'telepathy' })).status, 400);
  });

  it('an event before the recording waits, is matched at ingest by the FreePBX uniqueid, and then leaves the pending table', async () => {
    const body = { callId: '1764000004.4', state: 'granted', method: 'ivr', promptVersion: 'v7', source: 'ivr-1' };
    const r = await api('integration', '/api/consent', body);
    assert.equal(r.status, 202);
    const token = w.site.keys.tokenize('callId', '1764000004.4');
    assert.equal(w.site.store.consentPending.forToken(token).length, 1);
    const id = await w.ingestCall(NAME('1764000004.4'), { seconds: 2, source: 'noise' });
    const row = w.site.store.recordings.get(id)!;
    assert.deepEqual(row.consentEvidence?.map((s) => s.method), ['ivr']);
    assert.equal(row.consentState, 'granted');
    assert.equal(w.site.store.consentPending.forToken(token).length, 0);
    const v = await w.access.view(cliPrincipal('cli:test'), id);
    assert.equal(v.consentEvidence?.[0]?.promptVersion, 'v7');
  });
});
