import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, csrfOf, makeUser, ORIGIN, PASSWORD, webSite, type WebSite } from './helpers/web.ts';
import { createApiToken, getUser, listApiTokens } from '../src/auth/index.ts';
import { pendingApprovals } from '../src/approvals/index.ts';
import { listHolds } from '../src/retention/holds.ts';
import type { LogEntry } from '../src/audit/index.ts';

// Issue 16, done as an attacker would: each test first performs the attack the issue
// describes (every one of them succeeded on the code before the fix) and then asserts the
// outcome the user notices now — refused, logged, nothing changed.

const KNOWN = 'the admin knows this one 42';
const DAY = 86_400_000;

/** A FreePBX name: inbound to 030 123456 from `from`, `daysAgo` days ago. */
function freepbxName(daysAgo: number, n: number, from: string): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${from}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642522${p(n)}.${n}.wav`;
}

describe('issue 16: web and auth attacks on the console', () => {
  let w: WebSite;
  type B = ReturnType<typeof browser>;
  const as: Record<string, B> = {};
  let call = '';
  let other = '';
  const since = (from: number): LogEntry[] => w.site.log.entries(from, w.site.log.size());
  const bearer = (token: string, method = 'GET', body?: Record<string, string>) => ({
    method,
    headers: { Host: 'tresor.test', Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}) },
    ...(body ? { body: new URLSearchParams(body).toString() } : {}),
  });
  /** a form post that may repeat a field (role checkboxes) */
  const postMany = (b: B, path: string, pairs: [string, string][]) => w.app.request(path, {
    method: 'POST',
    headers: { Host: 'tresor.test', Origin: ORIGIN, Cookie: b.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams([['_csrf', b.csrf], ...pairs]).toString(),
  });
  const signIn = async (name: string): Promise<B> => {
    const b = browser(w);
    assert.equal((await b.login(name)).status, 303, `login ${name}`);
    return b;
  };

  before(async () => {
    w = await webSite();
    for (const [n, r] of [['root', ['admin']], ['ada', ['admin']], ['dpo', ['dpo']], ['sup', ['supervisor']], ['audrey', ['auditor']]] as const) {
      await makeUser(w, n, [...r]);
    }
    call = await w.ingestCall(freepbxName(3, 1, '015112345678'), { seconds: 2, source: 'noise' });
    other = await w.ingestCall(freepbxName(3, 2, '030999999'), { seconds: 2, source: 'noise' });
    for (const n of ['root', 'ada', 'dpo', 'sup', 'audrey']) as[n] = await signIn(n);
  });
  after(() => w?.close());

  it('1 and 16: an admin API token drives no console route (policy, purge, hold, approval, clock): 403, logged as access.denied, nothing changes', async () => {
    const { token, row } = await createApiToken(w.site.store, w.site.log, 'cli:operator', 'root', 'integration');
    // a deletion request of someone else, for the token to try to approve
    assert.equal((await as.dpo!.post('/holds/deletions', { ids: other, reason: 'a mistake' })).status, 303);
    const pending = pendingApprovals(w.site.store).find((a) => a.target === `recording:${other}`)!;
    const from = w.site.log.size();
    const attempts: [string, Record<string, string>][] = [
      ['/retention/policies', { name: 'wipe', keep: 'P1D' }],
      ['/retention/purge', {}],
      ['/retention/clock/confirm', {}],
      ['/holds', { caseName: 'x', reason: 'y', ids: call }],
      [`/approvals/${pending.id}/decide`, { decision: 'approve' }],
      ['/admin/users', { name: 'viatoken', role: 'admin' }],
      ['/account/password', { current: PASSWORD, password: KNOWN, password2: KNOWN }],
    ];
    for (const [path, body] of attempts) {
      const res = await w.app.request(path, bearer(token, 'POST', body));
      assert.equal(res.status, 403, `POST ${path} with a token`);
    }
    for (const path of ['/admin/users', '/account', '/recordings', `/recordings/${call}`, '/log', '/approvals']) {
      assert.equal((await w.app.request(path, bearer(token))).status, 403, `GET ${path} with a token`);
    }
    assert.equal(w.site.store.policies.get('wipe'), undefined, 'no policy');
    assert.ok(w.site.store.recordings.get(call) && w.site.store.recordings.get(other), 'nothing purged');
    assert.equal(listHolds(w.site.store).length, 0, 'no hold');
    assert.equal(pendingApprovals(w.site.store).find((a) => a.id === pending.id)?.state, 'pending', 'still waiting for a person');
    assert.equal(getUser(w.site.store, 'viatoken'), undefined);
    const denied = since(from).filter((e) => e.action === 'access.denied');
    assert.equal(denied.length, attempts.length + 6, 'every refusal is logged');
    assert.ok(denied.every((e) => e.actor === `token:${row.id}` && e.detail.needs === 'console-session'), JSON.stringify(denied[0]));
    assert.deepEqual(since(from).filter((e) => e.action !== 'access.denied').map((e) => e.action), [], 'nothing else happened');

    // where tokens belong they work; the API changes nothing (no state-changing route)
    assert.equal((await w.app.request('/api/recordings', bearer(token))).status, 200);
    assert.equal((await w.app.request('/api/recordings', bearer(token, 'POST', { x: '1' }))).status, 405);
  });

  it('2: an admin cannot mint a token for the DPO to approve their own deletion request; owners create theirs on /account', async () => {
    assert.equal((await as.root!.post('/holds/deletions', { ids: call, reason: 'make it go away' })).status, 303);
    const request = pendingApprovals(w.site.store).find((a) => a.target === `recording:${call}`)!;
    const mint = await as.root!.post('/admin/users/dpo/tokens', { label: 'for the approval' });
    assert.notEqual(mint.status, 200, 'no minting for someone else');
    assert.doesNotMatch(await mint.text(), /tresor_[0-9A-Z]{26}_/);
    assert.deepEqual(listApiTokens(w.site.store, 'dpo'), [], 'no token acts as the DPO');
    assert.equal(pendingApprovals(w.site.store).find((a) => a.id === request.id)?.state, 'pending');
    assert.ok(w.site.store.recordings.get(call), 'the call is still there');
    await as.dpo!.post(`/approvals/${request.id}/decide`, { decision: 'reject', note: 'no reason to delete' });

    // the owner makes their own token (their password proves it is them), uses it, revokes it
    let res = await as.dpo!.post('/account/tokens', { label: 'siem', current: 'wrong password!!' });
    assert.equal(res.status, 400);
    res = await as.dpo!.post('/account/tokens', { label: 'siem', current: PASSWORD });
    assert.equal(res.status, 200);
    const token = /tresor_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}/.exec(await res.text())?.[0];
    assert.ok(token, 'shown once');
    const id = token.split('_')[1]!;
    assert.equal(listApiTokens(w.site.store, 'dpo')[0]!.createdBy, 'user:dpo');
    assert.equal((await w.app.request('/api/log/checkpoint', bearer(token))).status === 401, false);
    // an administrator may revoke it (a leaked token), not create one
    assert.equal((await as.root!.post(`/admin/users/dpo/tokens/${id}/revoke`)).status, 303);
    assert.equal((await w.app.request('/api/log/checkpoint', bearer(token))).status, 401);
  });

  it('3: an admin granting themselves supervisor gets a four-eyes request, not the role; the beneficiary cannot approve', async () => {
    let res = await postMany(as.root!, '/admin/users/root/roles', [['role', 'admin'], ['role', 'supervisor'], ['reason', 'quality checks']]);
    assert.equal(res.status, 303);
    assert.deepEqual(getUser(w.site.store, 'root')!.roles, ['admin'], 'no supervisor role yet');
    as.root = await signIn('root');
    assert.equal((await as.root.get(`/recordings/${call}/audio`)).status, 403, 'no audio for the admin');
    const grant = pendingApprovals(w.site.store).find((a) => a.kind === 'user.roles.grant' && a.target === 'user:root')!;
    assert.ok(grant, 'a request waits');
    assert.equal((await as.root.post(`/approvals/${grant.id}/decide`, { decision: 'approve' })).status, 403, 'not by the requester');
    await as.dpo!.post(`/approvals/${grant.id}/decide`, { decision: 'reject' });

    // ada asks for a supervisor role for herself via root; ada cannot approve it, the DPO can
    res = await postMany(as.root, '/admin/users/ada/roles', [['role', 'admin'], ['role', 'supervisor'], ['reason', 'covers for sam']]);
    assert.equal(res.status, 303);
    const forAda = pendingApprovals(w.site.store).find((a) => a.kind === 'user.roles.grant' && a.target === 'user:ada')!;
    res = await as.ada!.post(`/approvals/${forAda.id}/decide`, { decision: 'approve' });
    assert.equal(res.status, 403, 'the beneficiary may not decide');
    assert.deepEqual(getUser(w.site.store, 'ada')!.roles, ['admin']);
    const from = w.site.log.size();
    assert.equal((await as.dpo!.post(`/approvals/${forAda.id}/decide`, { decision: 'approve' })).status, 303);
    assert.deepEqual(getUser(w.site.store, 'ada')!.roles, ['admin', 'supervisor']);
    const changed = since(from).find((e) => e.action === 'user.changed' && e.target === 'user:ada')!;
    assert.equal(changed.actor, 'user:dpo');
    assert.equal(changed.detail.approval, forAda.id);
    assert.equal(changed.detail.requestedBy, 'user:root');
    // removing a role needs nobody else
    assert.equal((await postMany(as.root, '/admin/users/ada/roles', [['role', 'admin']])).status, 303);
    assert.deepEqual(getUser(w.site.store, 'ada')!.roles, ['admin']);
  });

  it('3: an admin\'s password reset gives a one-time link, never a password; the admin who uses the link gets the account but not its calls', async () => {
    const victim = await signIn('sup');
    const from = w.site.log.size();
    const res = await as.root!.post('/admin/users/sup/password', { password: KNOWN });
    assert.equal((await browser(w).login('sup', KNOWN)).status, 401, 'what the admin typed is no password');
    assert.equal(res.status, 200);
    const link = /(\/password\/set\?user=sup&amp;token=[A-Za-z0-9_-]{43})/.exec(await res.text())?.[1]?.replace('&amp;', '&');
    assert.ok(link, 'the page shows a set-password link');
    assert.equal((await browser(w).login('sup', PASSWORD)).status, 401, 'the old password ended with the reset');
    assert.equal((await victim.get('/account')).status, 303, 'the user\'s sessions ended');
    assert.deepEqual(getUser(w.site.store, 'sup')!.roles, [], 'the supervisor role waits for a second person');
    const grant = pendingApprovals(w.site.store).find((a) => a.kind === 'user.roles.grant' && a.target === 'user:sup')!;
    assert.deepEqual(grant.payload.roles, ['supervisor']);

    // the attack: the admin uses the link himself and signs in as sup — and hears nothing
    const setVia = async (url: string, password: string) => {
      const b = browser(w);
      const form = await b.get(url);
      if (form.status !== 200) return form.status;
      b.csrf = csrfOf(await form.text());
      const token = new URL(url, ORIGIN).searchParams.get('token')!;
      assert.equal((await b.post('/password/set', { user: 'sup', token, password, password2: 'nope' })).status, 400);
      return (await b.post('/password/set', { user: 'sup', token, password, password2: password })).status;
    };
    assert.equal(await setVia(link, 'the admin took it over'), 303);
    const asSup = browser(w);
    assert.equal((await asSup.login('sup', 'the admin took it over')).status, 303);
    assert.equal((await asSup.get(`/recordings/${call}/audio`)).status, 403, 'no audio');
    assert.equal((await asSup.get('/recordings?number=015112345678')).status, 403, 'no search by number');
    assert.equal(await setVia(link, 'the real sam at last'), 410, 'the person finds the link used: they say so');

    // the legitimate path: a new link (no second request), the person sets it, a second person confirms
    const again = await as.root!.post('/admin/users/sup/password');
    const link2 = /(\/password\/set\?user=sup&amp;token=[A-Za-z0-9_-]{43})/.exec(await again.text())![1]!.replace('&amp;', '&');
    assert.equal(await setVia(link2, 'mine and only mine 7'), 303);
    assert.equal((await as.dpo!.post(`/approvals/${grant.id}/decide`, { decision: 'approve', note: 'called sam' })).status, 303);
    as.sup = browser(w);
    assert.equal((await as.sup.login('sup', 'mine and only mine 7')).status, 303);
    assert.equal((await as.sup.get(`/recordings/${call}/audio`)).status, 200);

    const actions = since(from).filter((e) => e.target === 'user:sup').map((e) => `${e.actor} ${e.action}`);
    assert.deepEqual(actions.slice(0, 4), ['user:root user.changed', 'user:root approval.requested', 'user:root user.password.reset', 'user:sup user.password.set']);
    const text = w.site.log.lines(0, w.site.log.size()).join('\n');
    for (const secret of [new URL(link, ORIGIN).searchParams.get('token')!, KNOWN, 'mine and only mine 7']) assert.ok(!text.includes(secret), 'no link or password in the log');
  });

  it('3: a user the admin creates with a personal-data role waits for a second person and gets a set-password link', async () => {
    const res = await postMany(as.root!, '/admin/users', [['name', 'newsup'], ['role', 'supervisor'], ['password', KNOWN], ['reason', 'new hire in quality']]);
    assert.equal((await browser(w).login('newsup', KNOWN)).status, 401, 'no password the admin knows');
    assert.deepEqual(getUser(w.site.store, 'newsup')!.roles, [], 'no role that sees personal data yet');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /\/password\/set\?user=newsup&amp;token=/);
    assert.ok(pendingApprovals(w.site.store).some((a) => a.kind === 'user.roles.grant' && a.target === 'user:newsup'));
    // roles without personal data need nobody else
    const aud = await postMany(as.root!, '/admin/users', [['name', 'newaud'], ['role', 'auditor']]);
    assert.equal(aud.status, 200);
    assert.deepEqual(getUser(w.site.store, 'newaud')!.roles, ['auditor']);
  });

  it('4: holds by number are a DPO action; the admin\'s masked page does not tell which calls a number hold keeps; the log keeps the token prefix', async () => {
    const from = w.site.log.size();
    const byAdmin = await as.root!.post('/holds', { caseName: 'lookup', reason: 'curious', number: '0151 1234 5678' });
    assert.equal(byAdmin.status, 403);
    assert.equal(listHolds(w.site.store).length, 0, 'no hold placed');
    assert.ok(since(from).some((e) => e.action === 'access.denied' && e.actor === 'user:root' && e.detail.needs === 'recording.personal'));

    assert.equal((await as.dpo!.post('/holds', { caseName: 'Müller', reason: 'court', number: '0151 1234 5678' })).status, 303);
    const placed = since(from).find((e) => e.action === 'hold.placed')!;
    assert.equal(placed.detail.phoneToken, w.site.keys.token('phone', '+4915112345678').slice(0, 16));
    assert.ok(!JSON.stringify(placed).includes('5678'), 'no number in the log');

    const onHold = /Legal hold<\/dt><dd>on hold/;
    assert.match(await (await as.dpo!.get(`/recordings/${call}`)).text(), onHold, 'the DPO sees it');
    assert.doesNotMatch(await (await as.root!.get(`/recordings/${call}`)).text(), onHold, 'the masked page does not');
    assert.doesNotMatch(await (await as.root!.get(`/recordings/${other}`)).text(), onHold);
  });

  it('12: the recording page shows its access log only to holders of log.read', async () => {
    for (const n of ['sup', 'root']) assert.doesNotMatch(await (await as[n]!.get(`/recordings/${call}`)).text(), /id="recording-log"/, n);
    for (const n of ['dpo', 'audrey']) assert.match(await (await as[n]!.get(`/recordings/${call}`)).text(), /id="recording-log"/, n);
  });

  it('17: the pre-login CSRF token stops working at sign-in', async () => {
    const b = browser(w);
    const pre = csrfOf(await (await b.get('/login')).text());
    b.csrf = pre;
    const res = await b.post('/login', { name: 'audrey', password: PASSWORD });
    assert.equal(res.status, 303);
    b.csrf = pre;
    const out = await b.post('/logout', {});
    assert.equal(out.status, 403, 'the old form token is void');
    assert.equal((await b.get('/account')).status, 200, 'still signed in');
    assert.ok(res.headers.getSetCookie().some((c) => c.startsWith('tresor_pre=')), 'a new pre-login cookie at sign-in');
  });
});
