import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { getHold, listHolds } from '../src/retention/holds.ts';
import { listPolicies } from '../src/retention/policies.ts';
import { getApproval, pendingApprovals } from '../src/approvals/index.ts';
import { planPurge, whyStillHere } from '../src/retention/purge.ts';
import type { PurgedRow } from '../src/store/index.ts';
import { normalizeNumber } from '../src/core/phone.ts';

// The retention and holds console: who may see what, policy changes through the form (a
// locked policy refuses, 400, nothing changes), a dry run listing exactly what is due and
// what is held, a purge run with its reports, holds placed and released by two people,
// the recording page's retention section, early deletion through /approvals.

const DAY = 86_400_000;

function freepbxName(daysAgo: number, n: number, from = `0151${30000000 + n}`): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${from}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642522${p(n)}.${n}.wav`;
}

const idsIn = (html: string, table: string): string[] => {
  const m = new RegExp(`<table id="${table}"[\\s\\S]*?</table>`).exec(html);
  return m ? [...m[0].matchAll(/data-id="([0-9A-Z]{26})"/g)].map((x) => x[1]!).sort() : [];
};

describe('console: /retention and /holds', () => {
  let w: WebSite;
  const ids: Record<string, string> = {};
  const users = { ada: ['admin'], dora: ['dpo'], dan: ['dpo'], sue: ['supervisor'], otto: ['auditor'] } as const;
  const b: Record<keyof typeof users, ReturnType<typeof browser>> = {} as never;

  before(async () => {
    w = await webSite();
    for (const [name, roles] of Object.entries(users)) {
      await makeUser(w, name, [...roles]);
      const br = browser(w);
      assert.equal((await br.login(name)).status, 303);
      b[name as keyof typeof users] = br;
    }
    const call = (name: string, sidecar: Record<string, unknown>) => w.ingestCall(name, { seconds: 3, source: 'noise' }, sidecar);
    ids.old1 = await call(freepbxName(6, 1), { queue: 'support', purpose: 'service', tags: [] });
    ids.old2 = await call(freepbxName(5, 2), { queue: 'support', purpose: 'service', tags: ['vip'] });
    ids.old3 = await call(freepbxName(5, 3), { queue: 'support', purpose: 'service', tags: [] });
    ids.recent = await call(freepbxName(0, 4), { queue: 'support', purpose: 'service', tags: [] });
    ids.advice = await call(freepbxName(9, 5), { queue: 'support', purpose: 'advice', tags: [] });
    ids.sales = await call(freepbxName(9, 6), { queue: 'sales', purpose: 'sales', tags: [] });
  });
  after(() => w?.close());

  it('permissions: anonymous is sent to sign in; /retention is admin only, /holds admin and dpo', async () => {
    const anon = browser(w);
    for (const path of ['/retention', '/retention/dry-run', '/holds']) {
      const r = await anon.get(path);
      assert.equal(r.status, 303, path);
      assert.match(r.headers.get('Location')!, /^\/login\?next=/);
    }
    assert.equal((await anon.post('/retention/purge')).status, 403, 'no CSRF session: refused before anything');
    const expect: Record<string, Record<keyof typeof users, number>> = {
      '/retention': { ada: 200, dora: 403, dan: 403, sue: 403, otto: 403 },
      '/retention/dry-run': { ada: 200, dora: 403, dan: 403, sue: 403, otto: 403 },
      '/holds': { ada: 200, dora: 200, dan: 200, sue: 403, otto: 403 },
    };
    for (const [path, want] of Object.entries(expect)) {
      for (const [name, status] of Object.entries(want)) {
        assert.equal((await b[name as keyof typeof users].get(path)).status, status, `${name} GET ${path}`);
      }
    }
    for (const name of ['dora', 'sue', 'otto'] as const) {
      assert.equal((await b[name].post('/retention/purge')).status, 403, `${name} may not purge`);
      assert.equal((await b[name].post('/retention/policies', { name: 'x', keep: 'P1D' })).status, 403, `${name} may not change policies`);
    }
    for (const name of ['sue', 'otto'] as const) {
      assert.equal((await b[name].post('/holds', { caseName: 'x', reason: 'y', ids: ids.old1! })).status, 403);
      assert.equal((await b[name].post('/holds/deletions', { ids: ids.old1!, reason: 'y' })).status, 403);
    }
    assert.equal(listHolds(w.site.store).length, 0);
    const denied = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'access.denied' && e.actor === 'user:sue');
    assert.ok(denied.length >= 4, 'refusals are logged');
    // nav: links only for those who may follow them
    assert.match(await (await b.ada.get('/account')).text(), /href="\/retention"/);
    const doraNav = await (await b.dora.get('/account')).text();
    assert.ok(!doraNav.includes('href="/retention"') && doraNav.includes('href="/holds"'));
  });

  it('policies through the form: saved, listed, and a locked policy cannot be shortened (400, unchanged)', async () => {
    // this one makes the old support calls due: a second person approves (issue 9 #11)
    const withApproval = async (fields: Record<string, string>) => {
      const first = await b.ada.post('/retention/policies', fields);
      assert.equal(first.status, 409, 'not saved alone');
      const asked = await b.ada.post('/retention/policies', { ...fields, request: '1', reason: 'agreed in the retention concept' });
      assert.equal(asked.status, 303);
      assert.equal(asked.headers.get('Location'), '/retention?done=change-requested');
      const a = pendingApprovals(w.site.store).find((x) => x.kind === 'policy.change')!;
      assert.equal((await b.dan.post(`/approvals/${a.id}/decide`, { decision: 'approve' })).status, 303);
    };
    await withApproval({ name: 'support-short', keep: 'P2D', queue: 'support', direction: '', purpose: '', tags: '', consent: '' });
    // this one only keeps a call longer than support-short does: saved at once
    let r = await b.ada.post('/retention/policies', { name: 'advice-legal', keep: 'P5Y', purpose: 'advice', lock: '1' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('Location'), '/retention?done=saved');
    const page = await (await b.ada.get('/retention?done=saved')).text();
    assert.match(page, /id="done"/);
    assert.match(page, /<td>support-short<\/td><td>queue: support<\/td><td><code>P2D<\/code><\/td>/);
    assert.match(page, /<td>advice-legal<\/td><td>purpose: advice<\/td><td><code>P5Y<\/code><\/td><td>locked<\/td>/);
    assert.match(page, /user:ada/);

    const before = JSON.stringify(listPolicies(w.site.store));
    r = await b.ada.post('/retention/policies', { name: 'advice-legal', keep: 'P1Y', purpose: 'advice', lock: '1' });
    assert.equal(r.status, 400);
    const refusal = await r.text();
    assert.match(refusal, /role="alert"[^>]*>policy &quot;advice-legal&quot; is locked: keep can be lengthened but not shortened/);
    assert.match(refusal, /value="P1Y"/, 'the form keeps what was typed');
    r = await b.ada.post('/retention/policies', { name: 'advice-legal', keep: 'P5Y', purpose: 'advice' });
    assert.equal(r.status, 400, 'cannot be unlocked');
    r = await b.ada.post('/retention/policies/advice-legal/remove');
    assert.equal(r.status, 400);
    assert.match(await r.text(), /cannot be removed/);
    r = await b.ada.post('/retention/policies', { name: 'bad', keep: '90 days' });
    assert.equal(r.status, 400);
    assert.equal(JSON.stringify(listPolicies(w.site.store)), before, 'nothing changed');
    // lengthening is allowed
    r = await b.ada.post('/retention/policies', { name: 'advice-legal', keep: 'P6Y', purpose: 'advice', lock: '1' });
    assert.equal(r.status, 303);
    assert.equal(listPolicies(w.site.store).find((p) => p.name === 'advice-legal')!.keep, 'P6Y');
    // the edit form is pre-filled
    const edit = await (await b.ada.get('/retention?edit=support-short')).text();
    assert.match(edit, /<input id="p-name" name="name" readonly value="support-short">/);
    assert.match(edit, /id="p-queue" name="queue" autocomplete="off" value="support"/);
  });

  it('a hold placed on /holds; the dry run lists exactly the due ids and the held ones (with the hold)', async () => {
    let r = await b.dora.post('/holds', { caseName: 'LG Berlin 12 O 345/26', reason: 'Klage von Herrn Beispiel', ids: `${ids.old3!.toLowerCase()}\n` });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('Location'), '/holds?done=placed');
    const hold = listHolds(w.site.store)[0]!;
    assert.deepEqual(hold.ids, [ids.old3]);
    assert.equal(hold.createdBy, 'user:dora');
    ids.hold = hold.id;
    r = await b.dora.post('/holds', { caseName: 'x', reason: 'y', ids: '01ZZZZZZZZZZZZZZZZZZZZZZZZ' });
    assert.equal(r.status, 404, 'unknown id refused');
    assert.match(await r.text(), /not in the archive: 01ZZZZZZZZZZZZZZZZZZZZZZZZ/);
    r = await b.dora.post('/holds', { caseName: 'x', reason: 'y', number: 'hello' });
    assert.equal(r.status, 400);
    assert.match(await r.text(), /number: &quot;hello&quot; is not a phone number/);
    assert.equal(listHolds(w.site.store).length, 1);

    const dry = await (await b.ada.get('/retention/dry-run')).text();
    assert.deepEqual(idsIn(dry, 'due'), [ids.old1!, ids.old2!].sort());
    assert.deepEqual(idsIn(dry, 'held'), [ids.old3!]);
    assert.match(dry, new RegExp(`<code>${hold.id}</code></a> LG Berlin 12 O 345/26`), 'the admin (holds.manage) sees the case');
    assert.match(dry, /support-short/);
    assert.ok(w.site.store.recordings.get(ids.old1!), 'a dry run changes nothing');
  });

  it('run purge now: the due calls go, the held one stays; the run page and both reports (also for auditors)', async () => {
    const r = await b.ada.post('/retention/purge');
    assert.equal(r.status, 303);
    const loc = r.headers.get('Location')!;
    const run = /^\/retention\/runs\/([0-9A-Z]{26})$/.exec(loc)![1]!;
    const page = await (await b.ada.get(loc)).text();
    assert.match(page, /2 recording\(s\) deleted, 1 kept by legal holds/);
    assert.match(page, new RegExp(`href="/retention/reports/${run}.json"`));
    assert.ok(page.includes(ids.old1!) && page.includes(ids.old2!));
    for (const id of [ids.old1!, ids.old2!]) {
      const why = whyStillHere(w.site.store, id, Date.now());
      assert.equal(why.state, 'purged');
      assert.equal((why as { purged: PurgedRow }).purged.by, 'user:ada');
    }
    assert.equal(whyStillHere(w.site.store, ids.old3!, Date.now()).state, 'kept');

    const json = await b.otto.get(`/retention/reports/${run}.json`);
    assert.equal(json.status, 200, 'auditors (log.read) fetch reports');
    const report = JSON.parse(await json.text()) as { recordings: { id: string }[]; held: { id: string; hold: string }[] };
    assert.deepEqual(report.recordings.map((x) => x.id).sort(), [ids.old1!, ids.old2!].sort());
    assert.deepEqual(report.held.map((x) => [x.id, x.hold]), [[ids.old3, ids.hold]]);
    const csv = await b.ada.get(`/retention/reports/${run}.csv`);
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('Content-Type')!, /text\/csv/);
    assert.match(await csv.text(), /^recording_id,call_start_utc/);
    assert.equal((await b.sue.get(`/retention/reports/${run}.csv`)).status, 403);
    assert.equal((await b.ada.get('/retention/reports/../../etc/passwd')).status, 404);
    assert.equal((await b.ada.get(`/retention/reports/${run}.txt`)).status, 404);
    const list = await (await b.ada.get('/retention')).text();
    assert.match(list, new RegExp(`href="/retention/runs/${run}"`));
  });

  it('the recording page: retention section; the case name only for holds.manage; deletion form only for holds.manage', async () => {
    const asDora = await (await b.dora.get(`/recordings/${ids.old3}`)).text();
    assert.match(asDora, /id="h-retention"/);
    assert.match(asDora, /support-short/);
    assert.match(asDora, /LG Berlin 12 O 345\/26/);
    assert.match(asDora, /action="\/holds\/deletions"/);
    const asSue = await (await b.sue.get(`/recordings/${ids.old3}`)).text();
    assert.match(asSue, /id="h-retention"/);
    assert.match(asSue, /on hold/);
    assert.ok(!asSue.includes('LG Berlin'), 'no case name for a supervisor');
    assert.ok(!asSue.includes('action="/holds/deletions"'));
    const sales = await (await b.sue.get(`/recordings/${ids.sales}`)).text();
    assert.match(sales, /none \(kept until a policy applies\)/);
  });

  it('releasing a hold on the console: the requester cannot approve; a second dpo does; the next purge takes the call', async () => {
    let r = await b.dora.post(`/holds/${ids.hold}/release`, { reason: 'Vergleich geschlossen' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('Location'), '/holds?done=release-requested');
    const a = pendingApprovals(w.site.store).find((x) => x.target === `hold:${ids.hold}`)!;
    assert.match(await (await b.dora.get('/holds')).text(), new RegExp(`Release requested \\(${a.id}\\)`));
    r = await b.dora.post(`/holds/${ids.hold}/release`, { reason: 'again' });
    assert.equal(r.status, 409, 'already requested');
    r = await b.dora.post(`/approvals/${a.id}/decide`, { decision: 'approve' });
    assert.equal(r.status, 403);
    assert.match(await r.text(), /asked for this yourself/);
    assert.equal(getHold(w.site.store, ids.hold!)!.state, 'active');
    r = await b.dan.post(`/approvals/${a.id}/decide`, { decision: 'approve', note: 'Vergleich liegt vor' });
    assert.equal(r.status, 303);
    const h = getHold(w.site.store, ids.hold!)!;
    assert.equal(h.state, 'released');
    assert.equal(h.releasedBy, 'user:dan');
    const holdsPage = await (await b.dora.get('/holds')).text();
    assert.match(holdsPage, /<table id="released"[\s\S]*LG Berlin 12 O 345\/26/);
    r = await b.ada.post('/retention/purge');
    assert.equal(r.status, 303);
    assert.equal(whyStillHere(w.site.store, ids.old3!, Date.now()).state, 'purged');
  });

  it('a hold by the search form (number) catches a later call; early deletion from the recording page via /approvals skips it', async () => {
    let r = await b.dora.post('/holds', { caseName: 'Beschwerde 2026-88', reason: 'Aufsicht', number: '0176 4444 0001', direction: 'in' });
    assert.equal(r.status, 303);
    const hold = listHolds(w.site.store)[0]!;
    assert.deepEqual(hold.search, { direction: 'in', phoneToken: w.site.keys.token('phone', normalizeNumber('017644440001', w.config.phone)!) });
    const later = await w.ingestCall(freepbxName(8, 7, '017644440001'), { seconds: 3, source: 'noise' }, { queue: 'support', purpose: 'service', tags: [] });
    assert.deepEqual(planPurge(w.site.store, Date.now()).held.map((i) => i.id), [later], 'the hold keeps the later call');
    // the admin's (masked) dry run says how many a hold by number keeps, not which (issue 16)
    const dry = await (await b.ada.get('/retention/dry-run')).text();
    assert.doesNotMatch(dry, new RegExp(`<tr data-id="${later}">`));
    assert.match(dry, /id="held-masked">1 more due recording/);

    // deletion from the recording page, of the held call and the sales call
    r = await b.dora.post('/holds/deletions', { ids: `${later} ${ids.sales}`, reason: 'Art. 17' });
    assert.equal(r.status, 303);
    r = await b.dora.post('/holds/deletions', { ids: ids.recent!, reason: 'mistake', back: 'recording' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('Location'), `/recordings/${ids.recent}#retention`);
    assert.match(await (await b.dora.get(`/recordings/${ids.recent}`)).text(), /Early deletion requested/);
    const reqs = pendingApprovals(w.site.store).filter((x) => x.kind === 'recording.delete');
    assert.equal(reqs.length, 2);
    for (const a of reqs) {
      assert.equal((await b.dora.post(`/approvals/${a.id}/decide`, { decision: 'approve' })).status, 403);
      assert.equal((await b.dan.post(`/approvals/${a.id}/decide`, { decision: 'approve' })).status, 303);
    }
    assert.equal(whyStillHere(w.site.store, ids.sales!, Date.now()).state, 'purged');
    assert.equal(whyStillHere(w.site.store, ids.recent!, Date.now()).state, 'purged');
    assert.equal(whyStillHere(w.site.store, later, Date.now()).state, 'kept', 'held: skipped');
    const done = getApproval(w.site.store, reqs.find((a) => (a.payload.ids as string[]).includes(later))!.id)!;
    assert.deepEqual(done.result!.held, [{ id: later, hold: hold.id }]);
    assert.equal((await b.dan.get(`/recordings/${ids.sales}`)).status, 404);
  });

  it('German labels', async () => {
    await b.ada.post('/lang', { to: 'de' });
    const page = await (await b.ada.get('/retention')).text();
    assert.match(page, /<h1>Aufbewahrung<\/h1>/);
    assert.match(page, /<label for="p-keep">Aufbewahren für/);
    await b.dora.post('/lang', { to: 'de' });
    assert.match(await (await b.dora.get('/holds')).text(), /<label for="h-case">Verfahren/);
  });
});
