import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, webSite, makeUser, ORIGIN, type WebSite } from './helpers/web.ts';
import { createApiToken } from '../src/auth/index.ts';

// Issue 11 #6 and #7 over HTTP with bearer tokens: POST /api/recordings/:id/restrict,
// /unrestrict (Art. 18(3): when the subject was told) and /rectify (Art. 16). A dpo only
// (a supervisor's and an admin's tokens are refused and logged); every wrong body is a 400
// naming its field; a restricted call is closed to a supervisor and open again after the
// lifting; a rectified number finds the call, the old one no longer, and the log names
// the field, never the value. Real ingest (ffmpeg), real LMDB, the app's whole middleware.

const CALLER = '015120000077';
const NEW_NUMBER = '+4917699887766';

describe('restriction and rectification API (Art. 16, 18)', () => {
  let w: WebSite;
  let id = '';
  const tok: Record<'dora' | 'sue' | 'ada', string> = { dora: '', sue: '', ada: '' };
  const call = (who: keyof typeof tok, method: 'GET' | 'POST', path: string, body?: unknown, raw?: string) => w.app.request(path, {
    method, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    headers: { Host: 'tresor.test', Authorization: `Bearer ${tok[who]}`, ...(body === undefined && raw === undefined ? {} : { 'Content-Type': 'application/json' }) },
  });
  const error = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;
  const entries = () => w.site.log.about('target', `recording:${id}`, 100);

  before(async () => {
    w = await webSite();
    for (const [n, roles] of [['dora', ['dpo']], ['sue', ['supervisor']], ['ada', ['admin']]] as const) {
      await makeUser(w, n, [...roles]);
      tok[n] = (await createApiToken(w.site.store, w.site.log, 'cli:test', n, 't')).token;
    }
    id = await w.ingestCall(`in-4930123456-${CALLER}-20261125-101500-1764250000.7.wav`, { seconds: 1, source: 'noise' });
  });
  after(() => w?.close());

  it('refuses other roles with 403 (logged), console cookies with 405, and names the wrong field with 400', async () => {
    for (const who of ['sue', 'ada'] as const) {
      for (const [verb, body] of [['restrict', { reason: 'unlawful' }], ['unrestrict', { notifiedAt: '2026-11-27' }], ['rectify', { field: 'agent', value: 'x' }]] as const) {
        const r = await call(who, 'POST', `/api/recordings/${id}/${verb}`, body);
        assert.equal(r.status, 403, `${who} ${verb}`);
        assert.equal((await error(r)).code, 'E_FORBIDDEN');
      }
    }
    const denied = w.site.log.about('actor', (await w.auth.bearer(tok.sue))!.actor, 50).filter((e) => e.action === 'access.denied');
    assert.deepEqual(denied.map((e) => e.target).sort(), ['http:POST /api/recordings/:id/rectify', 'http:POST /api/recordings/:id/restrict', 'http:POST /api/recordings/:id/unrestrict']);
    assert.equal(entries().filter((e) => e.action.startsWith('recording.re')).length, 0, 'nothing changed');

    // a signed-in dpo's browser cannot write through the API (no CSRF surface)
    await makeUser(w, 'dina', ['dpo']);
    const b = browser(w);
    assert.equal((await b.login('dina')).status, 303);
    const viaCookie = await w.app.request(`/api/recordings/${id}/restrict`, {
      method: 'POST', body: JSON.stringify({ reason: 'unlawful' }), headers: { Host: 'tresor.test', Origin: ORIGIN, 'X-CSRF-Token': b.csrf, Cookie: b.cookie, 'Content-Type': 'application/json' },
    });
    assert.equal(viaCookie.status, 405, await viaCookie.clone().text());
    assert.equal((await error(viaCookie)).code, 'E_READ_ONLY');

    const bad: [string, unknown, RegExp][] = [
      ['restrict', {}, /^reason is required \(one of accuracy-contested, unlawful, subject-legal-claims, objection/],
      ['restrict', { reason: 'because' }, /^reason must be one of/],
      ['restrict', { reason: 7 }, /^reason is a text/],
      ['restrict', { reson: 'unlawful' }, /^unknown field "reson" \(known: reason, requestId\)/],
      ['restrict', { reason: 'unlawful', requestId: '01JDZZZZZZZZZZZZZZZZZZZZZZ' }, /^requestId: no request 01JDZZZZZZZZZZZZZZZZZZZZZZ/],
      ['unrestrict', {}, /^notifiedAt is required \(when the subject was told, Art\. 18\(3\)/],
      ['unrestrict', { notifiedAt: 'yesterday' }, /^notifiedAt: "yesterday" is not a date/],
      ['rectify', { value: 'x' }, /^field is required \(one of from, to, agent, customerId\)/],
      ['rectify', { field: 'queue', value: 'x' }, /^field must be one of from, to, agent, customerId/],
      ['rectify', { field: 'from' }, /^value is required/],
      ['rectify', { field: 'from', value: 'not a number' }, /^from: not a valid value/],
      ['rectify', { field: 'agent', value: 'x', statement: 5 }, /^statement is a text/],
    ];
    for (const [verb, body, want] of bad) {
      const r = await call('dora', 'POST', `/api/recordings/${id}/${verb}`, body);
      assert.equal(r.status, 400, `${verb} ${JSON.stringify(body)}`);
      assert.match((await error(r)).message, want);
    }
    const notJson = await call('dora', 'POST', `/api/recordings/${id}/restrict`, undefined, '{reason:');
    assert.equal(notJson.status, 400);
    assert.equal((await call('dora', 'POST', '/api/recordings/01JDZZZZZZZZZZZZZZZZZZZZZZ/restrict', { reason: 'unlawful' })).status, 404);
    assert.equal(entries().filter((e) => e.action.startsWith('recording.re')).length, 0, 'no refused call changed anything');
  });

  it('restricts (a supervisor can no longer play it), refuses a future notice, lifts with the notice time', async () => {
    const opened = await call('dora', 'POST', '/api/requests', { kind: 'restriction', number: CALLER, channel: 'letter' });
    assert.equal(opened.status, 201);
    const reqId = ((await opened.json()) as { id: string }).id;
    const r = await call('dora', 'POST', `/api/recordings/${id}/restrict`, { reason: 'accuracy-contested', requestId: reqId.toLowerCase() });
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual(await r.json(), { id, restricted: ['accuracy-contested'] });
    assert.equal((await call('dora', 'POST', `/api/recordings/${id}/restrict`, { reason: 'accuracy-contested' })).status, 409, 'already');
    const played = await call('sue', 'GET', `/api/recordings/${id}/audio`);
    assert.equal(played.status, 403);
    assert.match((await error(played)).message, /restricted under Art\. 18/);
    const view = (await (await call('sue', 'GET', `/api/recordings?number=${CALLER}`)).json()) as { items: { id: string; restricted?: string[] }[] };
    assert.deepEqual(view.items.map((v) => [v.id, v.restricted]), [[id, ['accuracy-contested']]], 'search shows it restricted');
    const logged = entries().find((e) => e.action === 'recording.restricted')!;
    assert.deepEqual(logged.detail, { reason: 'accuracy-contested', requestId: reqId });
    assert.equal(logged.actor, (await w.auth.bearer(tok.dora))!.actor);

    const tomorrow = new Date(Date.now() + 2 * 86400_000).toISOString();
    const future = await call('dora', 'POST', `/api/recordings/${id}/unrestrict`, { notifiedAt: tomorrow });
    assert.equal(future.status, 400);
    assert.match((await error(future)).message, /^notifiedAt is in the future/);

    const told = '2026-11-30T09:15:00Z';
    const lifted = await call('dora', 'POST', `/api/recordings/${id}/unrestrict`, { notifiedAt: told, requestId: reqId });
    assert.equal(lifted.status, 200, await lifted.clone().text());
    assert.deepEqual(await lifted.json(), { id, restricted: [] });
    assert.deepEqual(entries().find((e) => e.action === 'recording.restriction-lifted')!.detail, { reasons: ['accuracy-contested'], notifiedAt: '2026-11-30T09:15:00.000Z', requestId: reqId });
    assert.equal((await call('sue', 'GET', `/api/recordings/${id}/audio`)).status, 200, 'open again');
    assert.equal((await call('dora', 'POST', `/api/recordings/${id}/unrestrict`, { notifiedAt: told })).status, 409, 'not restricted any more');
  });

  it('rectifies the caller number: the new number finds the call, the old one not, the log names the field only', async () => {
    const r = await call('dora', 'POST', `/api/recordings/${id}/rectify`, { field: 'from', value: '0176 99887766', statement: 'the caller used a colleague\'s phone' });
    assert.equal(r.status, 200, await r.clone().text());
    assert.deepEqual(await r.json(), { id, rectified: ['from'] });
    const v = (await (await call('dora', 'GET', `/api/recordings/${id}`)).json()) as { from: string };
    assert.equal(v.from, NEW_NUMBER);
    const byNew = (await (await call('dora', 'GET', `/api/subjects?number=${encodeURIComponent(NEW_NUMBER)}`)).json()) as { recordings: string[] };
    assert.deepEqual(byNew.recordings, [id]);
    const byOld = (await (await call('dora', 'GET', `/api/subjects?number=${CALLER}`)).json()) as { recordings: string[] };
    assert.deepEqual(byOld.recordings, []);
    const e = entries().find((x) => x.action === 'recording.rectified')!;
    assert.deepEqual(e.detail, { fields: ['from'], requestId: null, statement: true });
    assert.doesNotMatch(JSON.stringify(entries()), /99887766|20000077|colleague/, 'no number and no statement in the log');
  });

  it('the console: the dpo section on the recording page, its forms need the CSRF token, the objection register never shows the number', async () => {
    await makeUser(w, 'sam', ['supervisor']);
    const dpo = browser(w);
    assert.equal((await dpo.login('dina')).status, 303);
    const sup = browser(w);
    assert.equal((await sup.login('sam')).status, 303);
    const page = await (await dpo.get(`/recordings/${id}`)).text();
    assert.match(page, /id="rights"/);
    assert.match(page, new RegExp(`action="/recordings/${id}/restrict"`));
    assert.doesNotMatch(await (await sup.get(`/recordings/${id}`)).text(), /id="rights"/, 'not for a supervisor');

    const noToken = await w.app.request(`/recordings/${id}/restrict`, {
      method: 'POST', body: 'reason=unlawful', headers: { Host: 'tresor.test', Origin: ORIGIN, Cookie: dpo.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(noToken.status, 403, 'no CSRF token');
    const bySup = await sup.post(`/recordings/${id}/restrict`, { reason: 'unlawful' });
    assert.equal(bySup.status, 403);
    assert.ok(w.site.log.about('target', 'http:POST /recordings/:id/restrict', 10).some((e) => e.action === 'access.denied'), 'logged');

    const wrong = await dpo.post(`/recordings/${id}/restrict`, { reason: 'unlawful', requestId: 'nope' });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /id="rights-error"[^>]*>requestId: no request NOPE/);
    const ok = await dpo.post(`/recordings/${id}/restrict`, { reason: 'unlawful', requestId: '' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('Location'), `/recordings/${id}?done=restricted#rights`);
    assert.match(await (await dpo.get(`/recordings?number=${encodeURIComponent(NEW_NUMBER)}`)).text(), /class="badge restricted" data-restricted="unlawful"/, 'search marks it');
    const future = new Date(Date.now() + 3 * 86400_000).toISOString().slice(0, 10);
    assert.equal((await dpo.post(`/recordings/${id}/unrestrict`, { notified: future })).status, 400);
    assert.equal((await dpo.post(`/recordings/${id}/unrestrict`, { notified: new Date().toISOString().slice(0, 10) })).status, 303);
    assert.deepEqual(w.site.store.recordings.get(id)!.marks ?? [], []);

    // the register: added by number; the page says how many calls, and shows no digit of it
    const added = await dpo.post('/privacy/objections', { number: '0176 99887766', customerId: '', scope: 'record', requestId: '' });
    assert.equal(added.status, 303);
    const task = added.headers.get('Location')!;
    assert.match(task, /^\/privacy\/objections\?task=[0-9A-Z]{26}#objection-added$/);
    const reg = await (await dpo.get(task)).text();
    assert.match(reg, /id="existing-calls" data-calls="1"/);
    assert.doesNotMatch(reg, /99887766|4917699/, 'no number on the page');
    const oid = /task=([0-9A-Z]{26})/.exec(task)![1]!;
    const restricted = await dpo.post(`/privacy/objections/${oid}/restrict`);
    assert.equal(restricted.status, 303);
    assert.match(await (await dpo.get(restricted.headers.get('Location')!)).text(), /1 call\(s\) restricted, 0 were restricted already/);
    assert.deepEqual(w.site.store.recordings.get(id)!.marks, ['restricted:objection']);
    const erase = await dpo.post(`/privacy/objections/${oid}/erasure-request`);
    assert.equal(erase.status, 303);
    const reqId = /requests\/([0-9A-Z]{26})/.exec(erase.headers.get('Location')!)![1]!;
    const r = w.site.store.requests.get(reqId)!;
    assert.equal(r.kind, 'erasure');
    assert.deepEqual(r.tokens.map((t) => t.kind), ['phone']);
    const noScope = await dpo.post('/privacy/objections', { number: '0176 1', scope: 'everything' });
    assert.equal(noScope.status, 400);
    assert.match(await noScope.text(), /id="add-error"/);
    assert.equal((await sup.get('/privacy/objections')).status, 403);
  });
});
