// The console's language is a setting of the person (issue 15 #7), not only of the browser:
// chosen once, it follows them to another browser and wins over a cookie left there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';

const heading = async (res: Response) => /<h1[^>]*>([^<]+)</.exec(await res.text())?.[1]?.trim();

describe('language remembered per user', () => {
  let w: WebSite;
  before(async () => {
    w = await webSite();
    await makeUser(w, 'dora', ['dpo']);
    await makeUser(w, 'sam', ['supervisor']);
    await makeUser(w, 'anna', ['admin']);
  });
  after(async () => w.close());

  it('a choice made in one browser is the language in the next one, whatever that browser asks for', async () => {
    const first = browser(w);
    await first.login('dora');
    assert.equal(await heading(await first.get('/', { 'Accept-Language': 'en' })), 'Dashboard');
    const logged = w.site.log.size();
    assert.equal((await first.post('/lang', { to: 'de' })).status, 303);
    assert.equal(await heading(await first.get('/')), 'Übersicht');
    // a preference is not an event for the audit log
    assert.equal(w.site.log.size(), logged);

    const second = browser(w);
    await second.login('dora');
    assert.equal(await heading(await second.get('/', { 'Accept-Language': 'en-GB,en;q=0.9', Cookie: `${second.cookie}; tresor_lang=en` })), 'Übersicht');
  });

  it('on a shared browser, the next person gets their own language, not the cookie of the one before', async () => {
    const shared = browser(w);
    await shared.login('sam');
    await shared.post('/lang', { to: 'en' });
    const dora = browser(w);
    await dora.login('dora');
    assert.equal(await heading(await dora.get('/', { Cookie: `${dora.cookie}; tresor_lang=en` })), 'Übersicht');
    assert.equal(await heading(await shared.get('/', { Cookie: `${shared.cookie}; tresor_lang=de` })), 'Dashboard');
  });

  it('before sign-in the browser\'s choice (cookie) decides', async () => {
    const anon = browser(w);
    await anon.get('/login');
    const page = await (await anon.get('/login', { Cookie: 'tresor_lang=de' })).text();
    assert.match(page, /Anmelden/);
  });

  it('server messages read in German: a refusal, a form error, a quarantine reason; the API stays English', async () => {
    const b = browser(w);
    await b.login('anna');
    await b.post('/lang', { to: 'de' });
    const denied = await (await b.get('/log')).text();
    assert.equal(denied.includes('do not include'), false, 'the 403 page holds the English message');
    assert.match(denied, /Ihre Rollen \(admin\) umfassen diese Berechtigung nicht: log\.read/);

    const hold = await b.post('/holds', { caseName: '', reason: 'x', ids: '' });
    assert.equal(hold.status, 400);
    assert.match(await hold.text(), /Ein Legal Hold braucht ein Verfahren/);

    const dir = mkdtempSync(join(tmpdir(), 'tresor-empty-'));
    const empty = join(dir, 'in-015120000009-200-20261201-101010-1700000009.9.wav');
    writeFileSync(empty, '');
    const o = await w.ingestPath(empty);
    assert.equal(o.status, 'quarantined');
    const dash = await (await b.get('/')).text();
    assert.match(dash, /Die Datei ist leer \(0 Byte\): Die TK-Anlage hat nichts geschrieben\./);

    const api = await w.app.request('/api/recordings/01J0000000000000000000000Z', { headers: { Host: 'tresor.test', 'Accept-Language': 'de' } });
    assert.equal(api.status, 401);
    assert.match(JSON.stringify(await api.json()), /sign in first/);
  });
});
