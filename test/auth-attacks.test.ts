import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, PASSWORD, webSite, type WebSite } from './helpers/web.ts';
import { getUser, openTotp, sealTotp, totpAt, updateUser } from '../src/auth/index.ts';

// Issue 16 items 5 and 6, against the real index: a TOTP code raced through three logins
// at once got three sessions; TOTP secrets lay in data.mdb in the clear.

describe('TOTP: one code, one sign-in; secrets sealed at rest', () => {
  let w: WebSite;
  let secret = '';
  const indexBytes = () => readFileSync(join(w.config.dataDir, 'index', 'data.mdb'));

  before(async () => {
    w = await webSite();
    await makeUser(w, 'dora', ['dpo']);
    // enrolled the way a person does it: /account → scan → confirm with a code
    const b = browser(w);
    assert.equal((await b.login('dora')).status, 303);
    assert.equal((await b.post('/account/totp/start')).status, 303);
    secret = /secret=([A-Z2-7]+)/.exec(await (await b.get('/account/totp')).text())![1]!;
    // a code of the previous step, so the race below can use the current one
    assert.equal((await b.post('/account/totp/confirm', { code: totpAt(secret, Date.now() - 30_000) })).status, 303);
  });
  after(() => w?.close());

  it('5: three logins racing with one code: exactly one gets a session, the others are refused and logged', async () => {
    const code = totpAt(secret, Date.now());
    const from = w.site.log.size();
    const tries = await Promise.all([1, 2, 3].map((i) => w.auth.login({ name: 'dora', password: PASSWORD, totp: code, address: `192.0.2.${i}` })));
    assert.equal(tries.filter((r) => r.ok).length, 1, JSON.stringify(tries.map((r) => r.ok || r.reason)));
    const entries = w.site.log.entries(from, w.site.log.size());
    assert.equal(entries.filter((e) => e.action === 'auth.login').length, 1);
    assert.equal(entries.filter((e) => e.action === 'auth.login.failed' && e.detail.why === 'totp').length, 2);
  });

  it('6: the secret is not in data.mdb in the clear, and signing in with the app still works', async () => {
    const stored = getUser(w.site.store, 'dora')!.totpSecret!;
    assert.ok(stored && stored !== secret, 'the row holds no clear secret');
    assert.equal(indexBytes().indexOf(Buffer.from(secret)), -1, 'data.mdb holds no clear secret');
    const again = await w.auth.login({ name: 'dora', password: PASSWORD, totp: totpAt(secret, Date.now() + 30_000), address: '192.0.2.9' });
    assert.ok(again.ok, 'the sealed secret still checks codes');
  });

  it('6: a secret an older version kept in the clear is sealed at start; a caller cannot store one in the clear', async () => {
    await makeUser(w, 'olga', ['supervisor']);
    const legacy = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    await w.site.store.tx(() => w.site.store.users.put({ ...getUser(w.site.store, 'olga')!, totpSecret: legacy }));
    assert.equal(await w.auth.sealClearTotpSecrets(), 1);
    const row = getUser(w.site.store, 'olga')!;
    assert.ok(row.totpSecret!.startsWith('s1.'));
    assert.equal(openTotp(w.site.keys, row), legacy);
    assert.equal(await w.auth.sealClearTotpSecrets(), 0, 'once');
    assert.ok((await w.auth.login({ name: 'olga', password: PASSWORD, totp: totpAt(legacy, Date.now()), address: '192.0.2.10' })).ok);
    await assert.rejects(updateUser(w.site.store, w.site.log, 'cli:test', 'olga', { totpSecret: legacy as never }), /in the clear/);
    // sealed for another user, it does not open as olga's
    await w.site.store.tx(() => w.site.store.users.put({ ...getUser(w.site.store, 'olga')!, totpSecret: sealTotp(w.site.keys, 'dora', legacy) }));
    const from = w.site.log.size();
    const r = await w.auth.login({ name: 'olga', password: PASSWORD, totp: totpAt(legacy, Date.now() + 30_000), address: '192.0.2.11' });
    assert.equal(r.ok, false, 'no sign-in with a secret moved from another row');
    assert.equal(w.site.log.entries(from, w.site.log.size()).at(-1)!.detail.why, 'totp-secret-unreadable');
  });
});
