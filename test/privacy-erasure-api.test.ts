import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, webSite, makeUser, type WebSite } from './helpers/web.ts';
import { createApiToken } from '../src/auth/index.ts';
import { addHold } from '../src/retention/holds.ts';

// Issue 11 contract over HTTP with bearer tokens: POST /api/requests/:id/erasure →
// {approval, exceptions}; the requester cannot approve their own erasure; a second dpo's
// POST /api/approvals/:id/approve erases the calls (the audio API then says they are gone);
// GET /api/requests/:id/certificate gives the ids erased and kept, no number.

const DAY = 86_400_000;
const CALLER = '015120000042';
function name(daysAgo: number, n: number): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${CALLER}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642533${p(n)}.${n}.wav`;
}

describe('erasure API (Art. 17, four eyes)', () => {
  let w: WebSite;
  const ids: string[] = [];
  const tok: Record<'dora' | 'dan' | 'sue', string> = { dora: '', dan: '', sue: '' };
  const call = (who: keyof typeof tok, method: 'GET' | 'POST', path: string, body?: unknown) => w.app.request(path, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { Host: 'tresor.test', Authorization: `Bearer ${tok[who]}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
  });
  before(async () => {
    w = await webSite((c) => { c.privacy.maxErasureCalls = 2; });
    for (const [n, roles] of [['dora', ['dpo']], ['dan', ['dpo']], ['sue', ['supervisor']]] as const) {
      await makeUser(w, n, [...roles]);
      tok[n] = (await createApiToken(w.site.store, w.site.log, 'cli:test', n, 't')).token;
    }
    for (let i = 1; i <= 3; i++) ids.push(await w.ingestCall(name(i, i), { seconds: 1, source: 'noise' }));
  });
  after(() => w?.close());

  it('asks, refuses the requester, erases on the second dpo, keeps the held call, serves the certificate', async () => {
    const opened = await call('dora', 'POST', '/api/requests', { kind: 'erasure', number: `+49${CALLER.slice(1)}`, channel: 'letter' });
    assert.equal(opened.status, 201, await opened.clone().text());
    const req = (await opened.json()) as { id: string };
    // not yet verified: refused with a clear reason
    const early = await call('dora', 'POST', `/api/requests/${req.id}/erasure`);
    assert.equal(early.status, 409, await early.clone().text());
    assert.equal((await call('dora', 'POST', `/api/requests/${req.id}/verify`, { method: 'id card' })).status, 200);

    // mass guard: 3 calls > privacy.maxErasureCalls 2
    const mass = await call('dora', 'POST', `/api/requests/${req.id}/erasure`, {});
    assert.equal(mass.status, 400);
    assert.match(((await mass.json()) as { error: { message: string } }).error.message, /more than privacy\.maxErasureCalls \(2\)/);

    const hold = await addHold(w.site.store, w.site.log, 'user:dora', { caseName: 'dispute', reason: 'court', ids: [ids[0]!] });
    const asked = await call('dora', 'POST', `/api/requests/${req.id}/erasure`, { confirmMass: true });
    assert.equal(asked.status, 201, await asked.clone().text());
    const a = (await asked.json()) as { approval: string; calls: number; exceptions: { id: string; reason: string }[] };
    assert.equal(a.calls, 2);
    assert.deepEqual(a.exceptions.map((e) => [e.id, e.reason]), [[ids[0], 'legal-hold']]);

    assert.equal((await call('sue', 'POST', `/api/approvals/${a.approval}/approve`)).status, 403, 'a supervisor cannot decide');
    const own = await call('dora', 'POST', `/api/approvals/${a.approval}/approve`);
    assert.equal(own.status, 403, await own.clone().text());
    assert.equal(((await own.json()) as { error: { code: string } }).error.code, 'E_FOUR_EYES');
    assert.equal(w.site.store.recordings.count(), 3, 'nothing erased yet');

    const ok = await call('dan', 'POST', `/api/approvals/${a.approval}/approve`, { note: 'checked the letter' });
    assert.equal(ok.status, 200, await ok.clone().text());
    for (const id of ids.slice(1)) {
      const audio = await call('dan', 'GET', `/api/recordings/${id}/audio`);
      assert.equal(audio.status, 404, `${id} is gone`);
      assert.match(((await audio.json()) as { error: { message: string } }).error.message, /was purged on .*no longer exist/);
    }
    assert.equal((await call('dan', 'GET', `/api/recordings/${ids[0]}/audio`)).status, 200, 'the held call survives');

    const cert = await call('dora', 'GET', `/api/requests/${req.id}/certificate`);
    assert.equal(cert.status, 200);
    const text = await cert.text();
    assert.doesNotMatch(text, /20000042/);
    const c = JSON.parse(text) as Record<string, unknown>;
    assert.ok(text.includes(ids[1]!) && text.includes(ids[2]!) && text.includes(ids[0]!), JSON.stringify(c).slice(0, 400));
    const pdf = await call('dora', 'GET', `/api/requests/${req.id}/certificate.pdf`);
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
    const state = (await (await call('dora', 'GET', '/api/requests')).json()) as { items: { id: string; state: string }[] };
    assert.equal(state.items.find((r) => r.id === req.id)?.state, 'answered');
    void hold;
  });

  it('the console: an erasure request page asks for erasure, the approval waits on /approvals, the certificate link follows', async () => {
    const dora = browser(w);
    assert.equal((await dora.login('dora')).status, 303);
    const opened = await call('dora', 'POST', '/api/requests', { kind: 'erasure', customerId: 'CRM-NOBODY' });
    const req = (await opened.json()) as { id: string };
    const before = await (await dora.get(`/privacy/requests/${req.id}`)).text();
    assert.doesNotMatch(before, /Ask for erasure/, 'not before the identity is verified');
    assert.match(before, /No certificate yet/);
    await call('dora', 'POST', `/api/requests/${req.id}/verify`, { method: 'phone call-back' });
    assert.match(await (await dora.get(`/privacy/requests/${req.id}`)).text(), /Ask for erasure/);
    const asked = await dora.post(`/privacy/requests/${req.id}/erase`, {});
    assert.equal(asked.status, 303);
    assert.match(asked.headers.get('location') ?? '', /^\/approvals\?done=requested#/);
    const approval = asked.headers.get('location')!.split('#')[1]!;
    assert.equal((await call('dan', 'POST', `/api/approvals/${approval}/approve`)).status, 200);
    const after = await (await dora.get(`/privacy/requests/${req.id}`)).text();
    assert.match(after, new RegExp(`/privacy/requests/${req.id}/certificate.pdf`));
    const pdf = await dora.get(`/privacy/requests/${req.id}/certificate.pdf`);
    assert.equal(pdf.status, 200);
    assert.equal(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  });
});
