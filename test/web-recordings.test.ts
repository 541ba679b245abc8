import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, PASSWORD, webSite, type WebSite } from './helpers/web.ts';
import { createApiToken } from '../src/auth/index.ts';
import type { LogEntry } from '../src/audit/index.ts';

// The console's recording routes and the JSON API over a real archive: who may see what,
// that every read is logged before content goes out, and that Range playback returns
// exactly the bytes asked for.

const CUSTOMER = '015112345678';
const CUSTOMER_E164 = '+4915112345678';

describe('recordings in the console and the API', () => {
  let w: WebSite;
  let idA: string;
  let idB: string;
  const tokens: Record<string, string> = {};
  const roles = ['admin', 'supervisor', 'dpo', 'auditor'] as const;

  const lastEntries = (n: number): LogEntry[] => {
    const size = w.site.log.size();
    return w.site.log.entries(Math.max(0, size - n), size);
  };

  before(async () => {
    w = await webSite();
    for (const r of roles) {
      await makeUser(w, r, [r]);
      tokens[r] = (await createApiToken(w.site.store, w.site.log, 'cli:test', r, 'test')).token;
    }
    idA = await w.ingestCall(`in-4930123456-${CUSTOMER}-20261127-142501-1764250000.12.wav`, { seconds: 60, format: 'wav-pcm8k', source: 'noise' },
      { agent: 'Maria Schmidt', queue: 'support', consent: { state: 'granted', method: 'ivr', evidence: 'pressed 1' } });
    idB = await w.ingestCall('out-030987654-201-20261126-093000-1764145800.5.wav', { seconds: 5 }, { queue: 'sales' });
  });
  after(() => w?.close());

  const api = (role: string | null, path: string, headers: Record<string, string> = {}) =>
    w.app.request(path, { headers: { Host: 'tresor.test', ...(role ? { Authorization: `Bearer ${tokens[role]}` } : {}), ...headers } });

  it('answers each route for each role as the permission table says, anonymous included', async () => {
    const routes = (id: string) => ({
      [`/api/recordings`]: { admin: 200, supervisor: 200, dpo: 200, auditor: 200 },
      [`/api/recordings/${id}`]: { admin: 200, supervisor: 200, dpo: 200, auditor: 200 },
      [`/api/recordings/${id}/audio`]: { admin: 403, supervisor: 200, dpo: 200, auditor: 403 },
      [`/api/log/entries?start=0`]: { admin: 403, supervisor: 403, dpo: 200, auditor: 200 },
    });
    for (const [path, want] of Object.entries(routes(idA))) {
      assert.equal((await api(null, path)).status, 401, `anonymous ${path}`);
      for (const r of roles) assert.equal((await api(r, path)).status, want[r], `${r} ${path}`);
    }
    // Console pages: anonymous goes to the login page, keeping where it wanted to go.
    for (const path of ['/recordings', `/recordings/${idA}`, `/recordings/${idA}/audio`, `/recordings/${idA}/download`]) {
      const res = await w.app.request(path, { headers: { Host: 'tresor.test' } });
      assert.equal(res.status, 303, path);
      assert.equal(res.headers.get('Location'), `/login?next=${encodeURIComponent(path)}`);
    }
  });

  it('shows numbers and names to supervisors, hides them from admins and auditors without decrypting', async () => {
    const sup = await (await api('supervisor', '/api/recordings')).json() as { items: { id: string; from: string | null; agent: string | null }[]; masked: boolean };
    assert.equal(sup.masked, false);
    const a = sup.items.find((i) => i.id === idA)!;
    assert.equal(a.from, CUSTOMER_E164);
    assert.equal(a.agent, 'Maria Schmidt');
    for (const r of ['admin', 'auditor']) {
      const res = await api(r, '/api/recordings');
      const text = await res.text();
      assert.ok(!text.includes('4915112345678') && !text.includes('Schmidt'), `${r} sees no personal data`);
      assert.equal(JSON.parse(text).masked, true);
    }
    // Looking up by a person's number is itself a use of personal data.
    assert.equal((await api('auditor', `/api/recordings?number=${CUSTOMER}`)).status, 403);
    assert.equal(lastEntries(1)[0]!.action, 'access.denied');
  });

  it('finds a call by the customer number in any common notation, newest first, and logs only a token', async () => {
    for (const n of [CUSTOMER, CUSTOMER_E164, '+49 151 1234 5678', '0049-151-12345678']) {
      const r = await (await api('supervisor', `/api/recordings?number=${encodeURIComponent(n)}`)).json() as { items: { id: string }[] };
      assert.deepEqual(r.items.map((i) => i.id), [idA], n);
    }
    const e = lastEntries(1)[0]!;
    assert.equal(e.action, 'recording.searched');
    assert.ok(!JSON.stringify(e).includes('12345678'), 'the log names no number');
    assert.match(String((e.detail.filters as Record<string, unknown>).phoneToken), /^[0-9a-f]{16}$/);
    const both = await (await api('supervisor', '/api/recordings')).json() as { items: { id: string }[] };
    assert.deepEqual(both.items.map((i) => i.id), [idA, idB]);
    const bad = await api('supervisor', '/api/recordings?number=hello');
    assert.equal(bad.status, 400);
    // the API's error shape: {"error":{"code","message"}}
    assert.deepEqual(Object.keys((await bad.clone().json() as { error: object }).error), ['code', 'message']);
    assert.match((await bad.json() as { error: { code: string; message: string } }).error.message, /not a phone number/);
    assert.equal((await api('supervisor', '/api/recordings?colour=red')).status, 400);
  });

  it('pages with a cursor', async () => {
    const p1 = await (await api('dpo', '/api/recordings?limit=1')).json() as { items: { id: string }[]; next: string };
    assert.deepEqual(p1.items.map((i) => i.id), [idA]);
    const p2 = await (await api('dpo', `/api/recordings?limit=1&cursor=${p1.next}`)).json() as { items: { id: string }[]; next: string | null };
    assert.deepEqual(p2.items.map((i) => i.id), [idB]);
    const p3 = await (await api('dpo', `/api/recordings?limit=1&cursor=${p2.next}`)).json() as { items: unknown[]; next: string | null };
    assert.equal(p3.items.length, 0);
    assert.equal(p3.next, null);
  });

  it('serves byte ranges (206) that equal the same bytes of the whole file, each logged before it is sent', async () => {
    const full = Buffer.from(await (await api('supervisor', `/api/recordings/${idA}/audio`)).arrayBuffer());
    assert.equal(full.subarray(0, 4).toString('latin1'), 'OggS');
    assert.ok(full.length > 70_000, `a 60 s call spans more than one 64 KiB chunk (${full.length} bytes)`);
    const before = w.site.log.size();
    for (const [range, start, end] of [['bytes=100-199', 100, 200], [`bytes=65530-65545`, 65530, 65546], ['bytes=-50', full.length - 50, full.length], [`bytes=${full.length - 10}-`, full.length - 10, full.length]] as const) {
      const res = await api('supervisor', `/api/recordings/${idA}/audio`, { Range: range });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get('Content-Range'), `bytes ${start}-${end - 1}/${full.length}`);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(full.subarray(start, end)), range);
    }
    const played = w.site.log.entries(before, w.site.log.size());
    assert.deepEqual(played.map((e) => [e.action, e.actor, e.target]), Array(4).fill(['recording.played', played[0]!.actor, `recording:${idA}`]));
    assert.match(played[0]!.actor, /^token:/);
    assert.equal(played[0]!.detail.range, '100-199');
    const unsat = await api('supervisor', `/api/recordings/${idA}/audio`, { Range: `bytes=${full.length}-` });
    assert.equal(unsat.status, 416);
    assert.equal(unsat.headers.get('Content-Range'), `bytes */${full.length}`);
  });

  it('refuses audio to an auditor and logs the attempt, serving nothing', async () => {
    const before = w.site.log.size();
    const res = await api('auditor', `/api/recordings/${idA}/audio`);
    assert.equal(res.status, 403);
    const [e] = w.site.log.entries(before, w.site.log.size());
    assert.equal(e!.action, 'access.denied');
    assert.equal(e!.detail.needs, 'recording.audio');
  });

  it('renders the console search and recording page for a signed-in supervisor, with CSP and without inline script', async () => {
    const b = browser(w);
    assert.equal((await b.login('supervisor')).status, 303);
    const page = await b.get(`/recordings?number=${CUSTOMER}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('Content-Security-Policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(page.headers.get('Content-Security-Policy') ?? '', /unsafe-inline|unsafe-eval/);
    const html = await page.text();
    assert.ok(html.includes(`/recordings/${idA}`) && !html.includes(`/recordings/${idB}`));
    assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
    assert.doesNotMatch(html, /\son[a-z]+=|hx-on/i, 'no inline handlers');
    // htmx asks for the results only
    const frag = await (await b.get(`/recordings?queue=sales`, { 'HX-Request': 'true' })).text();
    assert.ok(frag.startsWith('<section id="results"') && frag.includes(idB) && !frag.includes(idA));
    const rec = await (await b.get(`/recordings/${idA}`)).text();
    assert.ok(rec.includes(`src="/recordings/${idA}/audio"`) && rec.includes('preload="none"'));
    assert.ok(rec.includes(CUSTOMER_E164) && rec.includes('pressed 1'), 'consent evidence shown');
    // who heard a call is the access log: a supervisor without log.read does not see it (issue 16)
    assert.ok(!rec.includes('id="recording-log"') && !rec.includes('recording.ingested'), 'no access log for a supervisor');
    const wav = await b.get(`/recordings/${idA}/download?format=wav`);
    assert.equal(wav.status, 200);
    assert.match(wav.headers.get('Content-Disposition') ?? '', /attachment; filename="2026-11-27_1425_inbound_[0-9A-Z]{26}\.wav"/);
    const bytes = Buffer.from(await wav.arrayBuffer());
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'RIFF');
    assert.equal(lastEntries(1)[0]!.action, 'recording.downloaded');
  });

  it('shows an auditor the recording page without player or personal data', async () => {
    const b = browser(w);
    await b.login('auditor');
    const html = await (await b.get(`/recordings/${idA}`)).text();
    assert.ok(!html.includes('<audio') && !html.includes(CUSTOMER_E164) && !html.includes('Schmidt'));
    assert.equal((await b.get(`/recordings/${idA}/audio`)).status, 403);
  });

  it('refuses state changes without the CSRF token or from another origin', async () => {
    const b = browser(w);
    await b.login('dpo');
    const sizeBefore = w.site.log.size();
    const noToken = await w.app.request('/logout', {
      method: 'POST', headers: { Host: 'tresor.test', Origin: 'http://tresor.test', Cookie: b.cookie, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'everywhere=1',
    });
    assert.equal(noToken.status, 403);
    const foreign = await b.post('/logout', { everywhere: '1' }, { Origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.match(await foreign.text(), /origin http:\/\/evil\.example/);
    assert.equal(w.site.log.size(), sizeBefore, 'nothing happened');
    assert.equal((await b.get('/recordings')).status, 200, 'still signed in');
  });

  it('throttles failed logins per account: after five failures even the right password waits', async () => {
    await makeUser(w, 'tom', ['supervisor']);
    const b = browser(w);
    for (let i = 0; i < 5; i++) assert.equal((await b.login('tom', 'wrong password!!')).status, 401);
    const res = await b.login('tom', PASSWORD);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('Retry-After')) >= 1);
    const failed = w.site.log.about('actor', 'user:tom', 10).filter((e) => e.action === 'auth.login.failed');
    assert.equal(failed.length, 5);
    assert.ok(failed.every((e) => !JSON.stringify(e).includes('wrong password')), 'no password in the log');
  });

  it('refuses an oversized body before parsing it', async () => {
    const res = await w.app.request('/login', {
      method: 'POST', headers: { Host: 'tresor.test', Origin: 'http://tresor.test', 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(200 * 1024) },
      body: 'name=' + 'x'.repeat(200 * 1024),
    });
    assert.equal(res.status, 413);
  });
});
