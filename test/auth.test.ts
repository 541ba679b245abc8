import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openIndex, type IndexStore } from '../src/store/index.ts';
import { createAuditLog, type AuditLog } from '../src/audit/index.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { addUser, createAuth, getUser, newSetupToken, newTotpSecret, openTotp, sealTotp, totpAt, updateUser } from '../src/auth/index.ts';
import { openKeyring, type Keyring } from '../src/crypto/index.ts';
import { hotp, base32Encode } from '../src/auth/totp.ts';

const PW = 'a long enough password 42';

describe('auth: sessions, TOTP, setup link', () => {
  let dir: string;
  let store: IndexStore;
  let log: AuditLog;
  let keys: Keyring;
  let clock = Date.parse('2026-11-29T10:00:00Z');
  const now = () => clock;
  let limits: { idleMs: number; absoluteMs: number; requireTotpForPrivileged: boolean; secrets: Keyring };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tresor-auth-'));
    store = openIndex(dir);
    keys = openKeyring(dir, false);
    limits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3600_000, requireTotpForPrivileged: false, secrets: keys };
    const signer = createNoteSigner('test.tresor/auth', new Uint8Array(32).fill(5));
    log = createAuditLog(store, { signer, origin: signer.name });
    await addUser(store, log, 'cli:test', { name: 'sam', roles: ['supervisor'], password: PW });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends a session after the idle time-out, and after the absolute time-out even when active', async () => {
    const auth = createAuth(store, log, limits, now);
    const r = await auth.login({ name: 'sam', password: PW, address: '192.0.2.1' });
    assert.ok(r.ok);
    clock += 29 * 60_000;
    assert.ok('principal' in auth.session(r.sessionId), 'still inside the idle window');
    clock += 31 * 60_000;
    assert.deepEqual(auth.session(r.sessionId), { reason: 'idle' });

    const r2 = await auth.login({ name: 'sam', password: PW, address: '192.0.2.1' });
    assert.ok(r2.ok);
    for (let i = 0; i < 30; i++) {
      clock += 29 * 60_000; // active every 29 min
      const s = auth.session(r2.sessionId);
      if (!('principal' in s)) {
        assert.equal(s.reason, 'expired');
        assert.ok(i * 29 >= 11 * 60, `ended after ${(i + 1) * 29} min`);
        return;
      }
    }
    assert.fail('an active session outlived the absolute time-out');
  });

  it('gives a new session id at every login and ends all of them on "sign out everywhere" or a password reset', async () => {
    const auth = createAuth(store, log, limits, now);
    const a = await auth.login({ name: 'sam', password: PW, address: '192.0.2.1' });
    const b = await auth.login({ name: 'sam', password: PW, address: '192.0.2.2' });
    assert.ok(a.ok && b.ok && a.sessionId !== b.sessionId);
    assert.equal(a.sessionId.length, 43, '256-bit id');
    const pa = auth.session(a.sessionId);
    assert.ok('principal' in pa);
    await auth.logout(pa.principal, true);
    assert.deepEqual(auth.session(b.sessionId), { reason: 'unknown' });
    const c = await auth.login({ name: 'sam', password: PW, address: '192.0.2.1' });
    assert.ok(c.ok);
    await updateUser(store, log, 'user:admin', 'sam', { password: 'another long password 43' });
    assert.ok(!('principal' in auth.session(c.sessionId)), 'a password reset ends sessions');
    await updateUser(store, log, 'user:admin', 'sam', { password: PW });
    assert.ok(!JSON.stringify(log.entries(0, log.size())).includes(PW), 'no password in the log');
  });

  it('computes RFC 6238 TOTP values (test vectors of Appendix B, SHA-1) and accepts a code once', async () => {
    const secret = Buffer.from('12345678901234567890');
    // RFC 6238 Appendix B gives 8 digits; the 6-digit code is its last 6 digits.
    for (const [t, code8] of [[59, '94287082'], [1111111109, '07081804'], [1234567890, '89005924'], [2000000000, '69279037']] as const) {
      assert.equal(hotp(secret, Math.floor(t / 30)), code8.slice(2));
    }
    const b32 = base32Encode(secret);
    assert.equal(totpAt(b32, 59_000), '287082');

    const auth = createAuth(store, log, limits, now);
    const s = newTotpSecret();
    await updateUser(store, log, 'cli:test', 'sam', { totpSecret: sealTotp(keys, 'sam', s) });
    assert.deepEqual(await auth.login({ name: 'sam', password: PW, address: 'a' }), { ok: false, reason: 'totp-needed' });
    const code = totpAt(s, clock);
    const ok = await auth.login({ name: 'sam', password: PW, totp: code, address: 'a' });
    assert.ok(ok.ok);
    const again = await auth.login({ name: 'sam', password: PW, totp: code, address: 'a' });
    assert.equal(again.ok, false, 'a code works once');
    await updateUser(store, log, 'cli:test', 'sam', { totpSecret: null });
  });

  it('requires TOTP for admin and dpo when the setting is on, enrolled at first sign-in once a code proves it', async () => {
    await addUser(store, log, 'cli:test', { name: 'dora', roles: ['dpo'], password: PW });
    const auth = createAuth(store, log, { ...limits, requireTotpForPrivileged: true }, now);
    const r = await auth.login({ name: 'dora', password: PW, address: 'b' });
    assert.ok(!r.ok && r.reason === 'totp-enrol-needed', 'no session without a second factor');
    const { token, secret } = (r as { enrolment: { token: string; secret: string } }).enrolment;
    assert.equal(getUser(store, 'dora')!.totpSecret, null, 'nothing stored before a code proves the app has the key');
    const wrong = await auth.completeEnrolment({ token, code: '000000' === totpAt(secret, clock) ? '111111' : '000000', address: 'b' });
    assert.equal(wrong.ok, false);
    const ok = await auth.completeEnrolment({ token, code: totpAt(secret, clock), address: 'b' });
    assert.ok(ok.ok, 'enrolled and signed in');
    assert.equal(openTotp(keys, getUser(store, 'dora')!), secret);
    assert.deepEqual(await auth.completeEnrolment({ token, code: totpAt(secret, clock), address: 'b' }), { ok: false, reason: 'enrolment-expired' }, 'the enrolment works once');
    assert.deepEqual(await auth.login({ name: 'dora', password: PW, address: 'b' }), { ok: false, reason: 'totp-needed' }, 'from now on the code is asked for');
    assert.ok((await auth.login({ name: 'sam', password: PW, address: 'b' })).ok, 'supervisors are not forced');
  });

  it('lets the setup link create exactly one first admin, once', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'tresor-setup-'));
    const s2 = openIndex(dir2);
    const signer = createNoteSigner('test.tresor/setup', new Uint8Array(32).fill(6));
    const log2 = createAuditLog(s2, { signer, origin: signer.name });
    try {
      const auth = createAuth(s2, log2, limits, now);
      const token = await newSetupToken(s2, clock);
      assert.ok(auth.setupValid(token));
      assert.equal(auth.setupValid(token.slice(1) + 'x'), false);
      await assert.rejects(auth.completeSetup(token, 'root', 'short'), /12 characters/);
      const u = await auth.completeSetup(token, 'root', PW);
      assert.deepEqual(u.roles, ['admin']);
      assert.equal(auth.setupValid(token), false, 'used up');
      await assert.rejects(auth.completeSetup(token, 'eve', PW), /not valid/);
      assert.equal(getUser(s2, 'eve'), undefined);
      const stored = getUser(s2, 'root')!;
      assert.match(stored.passwordHash, /^scrypt\$17\$8\$1\$/);
    } finally {
      await s2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('first sign-in TOTP enrolment in the console', () => {
  it('walks an admin who must use TOTP from password to enrolled session', async () => {
    const { webSite, makeUser, browser, csrfOf } = await import('./helpers/web.ts');
    const w = await webSite((c) => { c.auth.requireTotpForPrivileged = true; });
    try {
      await makeUser(w, 'ada', ['admin']);
      const b = browser(w);
      const page = await b.login('ada');
      assert.equal(page.status, 200, 'no session yet: the enrolment page');
      const html = await page.text();
      const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(html)![1]!.replaceAll(' ', '');
      const token = /name="token" value="([^"]+)"/.exec(html)![1]!;
      b.csrf = csrfOf(html);
      assert.equal((await b.get('/admin/users')).status, 303, 'not signed in before the code');
      const done = await b.post('/login/totp-enrol', { token, code: totpAt(secret, Date.now()), next: '/admin/users' });
      assert.equal(done.status, 303);
      assert.equal(done.headers.get('Location'), '/admin/users');
      assert.equal((await b.get('/admin/users')).status, 200);
      assert.ok(w.site.log.about('target', 'user:ada', 5).some((e) => e.action === 'user.totp.enrolled'));
    } finally {
      await w.close();
    }
  });
});
