import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, csrfOf, makeUser, ORIGIN, PASSWORD, webSite, type WebSite } from './helpers/web.ts';
import { createApiToken, getUser, openTotp, sealTotp, totpAt, updateUser } from '../src/auth/index.ts';
import type { LogEntry } from '../src/audit/index.ts';

// User administration (/admin/users) and the own account (/account) through every
// middleware the service uses: who may reach what, that each change is a CSRF-checked
// POST that is logged without secrets, the last-admin guard, sessions that end when
// they must, and API tokens made in the console that work and stop working.

const NEW_PASSWORD = 'another long passphrase 42';

describe('user and account management in the console', () => {
  let w: WebSite;
  const roles = ['supervisor', 'dpo', 'auditor'] as const;
  type B = ReturnType<typeof browser>;
  const as: Record<string, B> = {};

  const entriesSince = (from: number): LogEntry[] => w.site.log.entries(from, w.site.log.size());
  const allLogText = () => w.site.log.lines(0, w.site.log.size()).join('\n');
  /** a form post that may repeat a field (role checkboxes) */
  const postMany = (b: B, path: string, pairs: [string, string][], headers: Record<string, string> = {}) =>
    w.app.request(path, {
      method: 'POST',
      headers: { Host: 'tresor.test', Origin: ORIGIN, Cookie: b.cookie, 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams([['_csrf', b.csrf], ...pairs]).toString(),
    });
  /** re-reads the CSRF token (it changes when the session is renewed) */
  const refresh = async (b: B) => {
    b.csrf = csrfOf(await (await b.get('/account')).text());
  };

  before(async () => {
    w = await webSite();
    await makeUser(w, 'root', ['admin']);
    for (const r of roles) await makeUser(w, r, [r]);
    for (const n of ['root', ...roles]) {
      as[n] = browser(w);
      assert.equal((await as[n]!.login(n)).status, 303, `login ${n}`);
    }
  });
  after(() => w?.close());

  const GETS = ['/admin', '/admin/users', '/admin/users/root'];
  const POSTS = ['/admin/users', '/admin/users/dpo/roles', '/admin/users/dpo/disable', '/admin/users/dpo/enable', '/admin/users/dpo/password',
    '/admin/users/dpo/sessions', '/admin/users/dpo/totp-remove', '/admin/users/dpo/tokens', '/admin/users/dpo/tokens/01JZZZZZZZZZZZZZZZZZZZZZZZ/revoke'];
  const ACCOUNT_GETS = ['/account', '/account/totp'];
  const ACCOUNT_POSTS = ['/account/password', '/account/totp/start', '/account/totp/confirm', '/account/totp/remove'];

  it('sends anonymous visitors to the login page (GET) or refuses them (POST, 401)', async () => {
    for (const path of [...GETS, ...ACCOUNT_GETS]) {
      const res = await w.app.request(path, { headers: { Host: 'tresor.test' } });
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('Location'), `/login?next=${encodeURIComponent(path)}`, path);
    }
    const anon = browser(w);
    anon.csrf = csrfOf(await (await anon.get('/login')).text());
    for (const path of [...POSTS, ...ACCOUNT_POSTS]) {
      assert.equal((await anon.post(path, { name: 'mallory', role: 'admin', password: PASSWORD })).status, 401, path);
    }
    assert.equal(getUser(w.site.store, 'mallory'), undefined);
  });

  it('refuses /admin to supervisors, DPOs and auditors (403, logged as access.denied), changing nothing', async () => {
    for (const r of roles) {
      const b = as[r]!;
      for (const path of GETS) {
        const from = w.site.log.size();
        const res = await b.get(path);
        assert.equal(res.status, 403, `${r} GET ${path}`);
        const denied = entriesSince(from).filter((e) => e.action === 'access.denied');
        assert.equal(denied.length, 1, `${r} GET ${path} logged`);
        assert.equal(denied[0]!.actor, `user:${r}`);
        assert.deepEqual(denied[0]!.detail, { needs: 'users.manage' });
      }
      for (const path of POSTS) {
        const from = w.site.log.size();
        const res = await b.post(path, { name: 'mallory', role: 'admin', password: PASSWORD, label: 'x' });
        assert.equal(res.status, 403, `${r} POST ${path}`);
        assert.deepEqual(entriesSince(from).map((e) => e.action), ['access.denied'], `${r} POST ${path}`);
      }
      // their own account page works
      assert.equal((await b.get('/account')).status, 200, `${r} /account`);
    }
    assert.equal(getUser(w.site.store, 'mallory'), undefined);
    assert.deepEqual(getUser(w.site.store, 'dpo')!.roles, ['dpo']);
    assert.equal(getUser(w.site.store, 'dpo')!.disabled, false);
  });

  it('shows every page to an administrator', async () => {
    const b = as.root!;
    const first = await b.get('/admin');
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('Location'), '/admin/users');
    const list = await b.get('/admin/users');
    assert.equal(list.status, 200);
    const html = await list.text();
    for (const n of ['root', ...roles]) assert.ok(html.includes(`href="/admin/users/${n}"`), n);
    for (const id of ['new-name', 'new-reason', 'new-role-admin', 'new-role-auditor']) assert.ok(html.includes(`<label for="${id}"`), `label for ${id}`);
    assert.ok(!html.includes('scrypt$'), 'no hashes in the page');
    assert.equal((await b.get('/admin/users/root')).status, 200);
    assert.equal((await b.get('/admin/users/nobody')).status, 404);
    assert.equal((await b.get('/account')).status, 200);
    // German labels
    const de = await b.get('/admin/users', { 'Accept-Language': 'de-DE,de;q=0.9' });
    assert.ok((await de.text()).includes('Benutzer anlegen'));
    // an API token, even an administrator's, does not manage users (it skips CSRF on /api/, so it must not)
    const { token } = await createApiToken(w.site.store, w.site.log, 'cli:test', 'root', 'integration');
    const bearer = { Host: 'tresor.test', Authorization: `Bearer ${token}` };
    assert.equal((await w.app.request('/admin/users', { headers: bearer })).status, 403);
    const viaToken = await w.app.request('/admin/users', {
      method: 'POST', headers: { ...bearer, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'viatoken', role: 'admin' }).toString(),
    });
    assert.equal(viaToken.status, 403);
    assert.equal(getUser(w.site.store, 'viatoken'), undefined);
    assert.equal((await w.app.request('/account', { headers: bearer })).status, 403);
  });

  /** Opens a set-password link shown on an admin page and picks a password there. */
  const useLink = async (html: string, name: string, password = PASSWORD) => {
    const url = new RegExp(`value="(https?://[^"]+/password/set\\?user=${name}&amp;token=[A-Za-z0-9_-]{43})"`).exec(html)?.[1]?.replace('&amp;', '&');
    assert.ok(url, `a set-password link for ${name} on the page`);
    const person = browser(w);
    const form = await person.get(new URL(url).pathname + new URL(url).search);
    assert.equal(form.status, 200);
    person.csrf = csrfOf(await form.text());
    const token = new URL(url).searchParams.get('token')!;
    assert.equal((await person.post('/password/set', { user: name, token, password, password2: password })).status, 303);
  };

  it('adds a user from the form (keeping the input on a refusal); the new user sets their own password through the link', async () => {
    const b = as.root!;
    // refused: a personal-data role without a reason for the second person; name and roles stay in the form
    let res = await postMany(b, '/admin/users', [['name', 'erika'], ['role', 'supervisor'], ['role', 'auditor']]);
    assert.equal(res.status, 400);
    let html = await res.text();
    assert.match(html, /needs a second person: give a reason/);
    assert.match(html, /id="new-name"[^>]*value="erika"/);
    assert.match(html, /id="new-role-supervisor"[^>]*checked/);
    assert.doesNotMatch(html, /id="new-role-admin"[^>]*checked/);
    res = await postMany(b, '/admin/users', [['name', 'erika'], ['role', 'wizard']]);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /unknown role &quot;wizard&quot;|unknown role "wizard"/);
    res = await postMany(b, '/admin/users', [['name', 'Bad Name!'], ['role', 'auditor']]);
    assert.equal(res.status, 400);
    assert.equal(getUser(w.site.store, 'erika'), undefined);

    const from = w.site.log.size();
    res = await postMany(b, '/admin/users', [['name', 'erika'], ['role', 'auditor']]);
    assert.equal(res.status, 200);
    html = await res.text();
    assert.match(html, /User created/);
    assert.deepEqual(getUser(w.site.store, 'erika')!.roles, ['auditor']);
    const created = entriesSince(from).find((e) => e.action === 'user.created')!;
    assert.equal(created.actor, 'user:root');
    assert.equal(created.target, 'user:erika');
    assert.equal((await browser(w).login('erika')).status, 401, 'no password until erika picks one');
    // a second user of the same name is refused
    res = await postMany(b, '/admin/users', [['name', 'erika'], ['role', 'auditor']]);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /exists already/);

    await useLink(html, 'erika');
    const erika = browser(w);
    assert.equal((await erika.login('erika')).status, 303);
    assert.equal((await erika.get('/account')).status, 200);
    as.erika = erika;
  });

  it('refuses a change without the CSRF token or from a foreign origin (403), changing nothing', async () => {
    const b = as.root!;
    const from = w.site.log.size();
    const noToken = await w.app.request('/admin/users/erika/disable', {
      method: 'POST', headers: { Host: 'tresor.test', Origin: ORIGIN, Cookie: b.cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: '',
    });
    assert.equal(noToken.status, 403);
    assert.equal((await b.post('/admin/users/erika/disable', { _csrf: 'x'.repeat(43) })).status, 403);
    assert.equal((await b.post('/admin/users/erika/disable', {}, { Origin: 'https://evil.example' })).status, 403);
    assert.equal((await postMany(b, '/admin/users', [['name', 'csrf'], ['role', 'admin'], ['password', PASSWORD]], { Origin: 'https://evil.example' })).status, 403);
    assert.equal((await postMany(b, '/admin/users', [['name', 'csrf'], ['role', 'admin'], ['password', PASSWORD]], { Origin: '' })).status, 403);
    assert.equal(getUser(w.site.store, 'erika')!.disabled, false);
    assert.equal(getUser(w.site.store, 'csrf'), undefined);
    assert.equal(w.site.log.size(), from, 'nothing logged, nothing changed');
    // erika is still signed in
    assert.equal((await as.erika!.get('/account')).status, 200);
  });

  it('disabling a user ends their open session at once; enabling lets them sign in again', async () => {
    const b = as.root!;
    const from = w.site.log.size();
    const res = await b.post('/admin/users/erika/disable');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('Location'), '/admin/users/erika?done=disabled');
    assert.ok(entriesSince(from).some((e) => e.action === 'user.disabled' && e.target === 'user:erika' && e.actor === 'user:root'));
    const next = await as.erika!.get('/account');
    assert.equal(next.status, 303);
    assert.match(next.headers.get('Location')!, /^\/login/);
    assert.equal((await browser(w).login('erika')).status, 401, 'a disabled user cannot sign in');
    assert.equal((await b.post('/admin/users/erika/enable')).status, 303);
    assert.equal(getUser(w.site.store, 'erika')!.disabled, false);
  });

  it('changes roles, resets a password (a link, never a password the admin knows) and ends sessions; each is logged without secrets', async () => {
    const b = as.root!;
    const erika = browser(w);
    assert.equal((await erika.login('erika')).status, 303);
    const from = w.site.log.size();
    let res = await postMany(b, '/admin/users/erika/roles', [['role', 'auditor'], ['role', 'admin']]);
    assert.equal(res.status, 303);
    assert.deepEqual(getUser(w.site.store, 'erika')!.roles, ['auditor', 'admin']);
    assert.equal((await erika.get('/account')).status, 303, 'a role change ends the sessions');
    res = await postMany(b, '/admin/users/erika/roles', [['role', 'auditor']]);
    assert.equal(res.status, 303);
    res = await postMany(b, '/admin/users/erika/roles', []);
    assert.equal(res.status, 400, 'no role at all is refused');
    const again = browser(w);
    assert.equal((await again.login('erika')).status, 303);
    res = await b.post('/admin/users/erika/password', { password: NEW_PASSWORD });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /Password reset/);
    assert.equal((await again.get('/account')).status, 303, 'the reset ended the sessions');
    assert.equal((await browser(w).login('erika', PASSWORD)).status, 401, 'the old password is gone');
    assert.equal((await browser(w).login('erika', NEW_PASSWORD)).status, 401, 'what the admin typed is nothing');
    await useLink(html, 'erika', NEW_PASSWORD);
    const third = browser(w);
    assert.equal((await third.login('erika', NEW_PASSWORD)).status, 303);
    res = await b.post('/admin/users/erika/sessions');
    assert.equal(res.status, 303);
    assert.equal((await third.get('/account')).status, 303, 'ended everywhere');
    const actions = entriesSince(from).filter((e) => e.target === 'user:erika').map((e) => e.action);
    assert.deepEqual(actions, ['user.changed', 'user.changed', 'user.password.reset', 'user.password.set', 'user.sessions.ended']);
    const text = allLogText();
    for (const secret of [PASSWORD, NEW_PASSWORD, 'scrypt$']) assert.ok(!text.includes(secret), `log holds no ${secret}`);
    // your own password is changed under Account, not reset here
    assert.equal((await b.post('/admin/users/root/password')).status, 400);
  });

  it('never leaves the box without an enabled administrator', async () => {
    const b = as.root!;
    // root is the only admin: no demotion, no disabling
    let res = await postMany(b, '/admin/users/root/roles', [['role', 'supervisor']]);
    assert.equal(res.status, 400);
    let html = await res.text();
    assert.match(html, /last enabled administrator/);
    assert.match(html, /id="role-supervisor"[^>]*checked/, 'the refused choice stays in the form');
    assert.deepEqual(getUser(w.site.store, 'root')!.roles, ['admin']);
    res = await b.post('/admin/users/root/disable');
    assert.equal(res.status, 400);
    assert.equal(getUser(w.site.store, 'root')!.disabled, false);
    // the guard sits in src/auth too, for every caller
    await assert.rejects(updateUser(w.site.store, w.site.log, 'cli:test', 'root', { disabled: true }), /last enabled administrator/);
    await assert.rejects(updateUser(w.site.store, w.site.log, 'cli:test', 'root', { roles: ['dpo'] }), /last enabled administrator/);

    // a second admin, disabled, does not count; enabled, it does
    res = await postMany(b, '/admin/users/erika/roles', [['role', 'admin'], ['role', 'auditor']]);
    assert.equal(res.status, 303);
    assert.equal((await b.post('/admin/users/erika/disable')).status, 303);
    res = await postMany(b, '/admin/users/root/roles', [['role', 'auditor']]);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /last enabled administrator/);
    assert.equal((await b.post('/admin/users/erika/enable')).status, 303);
    // a change to your own account ends your other sessions, but not this one
    const rootElsewhere = browser(w);
    assert.equal((await rootElsewhere.login('root')).status, 303);
    res = await b.post('/admin/users/root/roles', { role: 'admin' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('Location'), '/admin/users/root?done=roles');
    await refresh(b);
    assert.equal((await b.get('/admin/users')).status, 200, 'own change renews this session');
    assert.equal((await rootElsewhere.get('/admin/users')).status, 303, 'the other session ended');
    // with root an enabled admin, erika may be demoted
    res = await postMany(b, '/admin/users/erika/roles', [['role', 'auditor']]);
    assert.equal(res.status, 303);
    html = await (await b.get('/admin/users/root')).text();
    assert.doesNotMatch(html, /action="\/admin\/users\/root\/disable"/, 'no disable button for yourself');
  });

  it('an owner creates their API token on /account (shown once; works as Bearer until revoked); an admin can revoke it, not create one', async () => {
    const b = as.root!;
    const minted = await b.post('/admin/users/auditor/tokens', { label: 'for someone else' });
    assert.equal(minted.status, 404, 'no token minting for another user');
    const owner = as.auditor!;
    const from = w.site.log.size();
    const res = await owner.post('/account/tokens', { label: 'siem export', current: PASSWORD });
    assert.equal(res.status, 200);
    const html = await res.text();
    const token = /tresor_[0-9A-HJKMNP-TV-Z]{26}_[A-Za-z0-9_-]{43}/.exec(html)?.[0];
    assert.ok(token, 'the token is on the page');
    assert.match(html, /shown only this once|nur dieses eine Mal/);
    const id = token.split('_')[1]!;
    const entry = entriesSince(from).find((e) => e.action === 'token.created')!;
    assert.equal(entry.target, `token:${id}`);
    assert.equal(entry.actor, 'user:auditor');
    assert.ok(!allLogText().includes(token.slice(`tresor_${id}_`.length)), 'the secret is not in the log');

    const api = () => w.app.request('/api/log/checkpoint', { headers: { Host: 'tresor.test', Authorization: `Bearer ${token}` } });
    const ok = await api();
    assert.ok(ok.status === 200 || ok.status === 404, `token works (got ${ok.status})`);
    if (ok.status === 404) assert.match(await ok.text(), /no checkpoint/);

    const page = await (await b.get('/admin/users/auditor')).text();
    assert.ok(page.includes(id), 'listed by id');
    assert.ok(!page.includes(token), 'never shown again');
    assert.ok(!(await (await owner.get('/account')).text()).includes(token), 'not on the account page again either');
    assert.equal((await b.post(`/admin/users/dpo/tokens/${id}/revoke`)).status, 404, 'revoke through another user\'s page is refused');
    const rev = await b.post(`/admin/users/auditor/tokens/${id}/revoke`);
    assert.equal(rev.status, 303);
    assert.equal((await api()).status, 401);
    assert.ok(entriesSince(from).some((e) => e.action === 'token.revoked' && e.target === `token:${id}`));
  });

  it('lets a user change their own password (current one needed), staying signed in', async () => {
    const b = as.supervisor!;
    const other = browser(w);
    assert.equal((await other.login('supervisor')).status, 303);
    let res = await b.post('/account/password', { current: 'wrong password!!', password: NEW_PASSWORD, password2: NEW_PASSWORD });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /current password is wrong/);
    res = await b.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD + 'x' });
    assert.equal(res.status, 400);
    res = await b.post('/account/password', { current: PASSWORD, password: NEW_PASSWORD, password2: NEW_PASSWORD });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('Location'), '/account?done=password');
    assert.equal((await b.get('/account')).status, 200, 'this session goes on');
    assert.equal((await other.get('/account')).status, 303, 'the other session ended');
    assert.equal((await browser(w).login('supervisor', NEW_PASSWORD)).status, 303);
    assert.ok(!allLogText().includes(NEW_PASSWORD));
  });

  it('enrols TOTP only after a valid code, then asks for it at sign-in; removal needs the password', async () => {
    const b = as.dpo!;
    let res = await b.post('/account/totp/start');
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('Location'), '/account/totp');
    const page = await (await b.get('/account/totp')).text();
    const secret = /secret=([A-Z2-7]+)/.exec(page)?.[1];
    assert.ok(secret, 'otpauth URI on the page');
    assert.ok(!page.includes(`value="${secret}"`), 'the secret is not a form field');
    assert.equal(getUser(w.site.store, 'dpo')!.totpSecret, null, 'not stored before confirmation');
    res = await b.post('/account/totp/confirm', { code: '000000' === totpAt(secret, Date.now()) ? '111111' : '000000' });
    assert.equal(res.status, 400);
    assert.equal(getUser(w.site.store, 'dpo')!.totpSecret, null);
    // another session cannot confirm this session's pending secret
    const other = browser(w);
    assert.equal((await other.login('dpo')).status, 303);
    assert.equal((await other.post('/account/totp/confirm', { code: totpAt(secret, Date.now()) })).status, 400);
    res = await b.post('/account/totp/confirm', { code: totpAt(secret, Date.now()) });
    assert.equal(res.status, 303);
    assert.equal(openTotp(w.site.keys, getUser(w.site.store, 'dpo')!), secret);
    assert.ok(!allLogText().includes(secret), 'the secret is not in the log');
    await refresh(b);
    assert.match(await (await b.get('/account')).text(), /second factor is set up|zweiter Faktor ist eingerichtet/i);

    const c = browser(w);
    assert.equal((await c.login('dpo')).status, 401, 'a code is needed now');
    assert.equal((await c.login('dpo', PASSWORD, { totp: totpAt(secret, Date.now() + 30_000) })).status, 303);

    res = await b.post('/account/totp/remove', { current: 'wrong password!!' });
    assert.equal(res.status, 400);
    assert.ok(getUser(w.site.store, 'dpo')!.totpSecret);
    res = await b.post('/account/totp/remove', { current: PASSWORD });
    assert.equal(res.status, 303);
    assert.equal(getUser(w.site.store, 'dpo')!.totpSecret, null);
  });

  it('an administrator removes a user\'s TOTP; "sign out everywhere" ends every session', async () => {
    const b = as.root!;
    await updateUser(w.site.store, w.site.log, 'cli:test', 'auditor', { totpSecret: sealTotp(w.site.keys, 'auditor', 'JBSWY3DPEHPK3PXP') });
    assert.equal((await b.post('/admin/users/auditor/totp-remove')).status, 303);
    assert.equal(getUser(w.site.store, 'auditor')!.totpSecret, null);

    const x = browser(w);
    const y = browser(w);
    assert.equal((await x.login('auditor')).status, 303);
    assert.equal((await y.login('auditor')).status, 303);
    const out = await x.post('/logout', { everywhere: '1' });
    assert.equal(out.status, 303);
    assert.equal((await y.get('/account')).status, 303);
    assert.equal((await x.get('/account')).status, 303);
  });
});
