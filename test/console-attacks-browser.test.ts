import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser, BrowserContext } from 'playwright-core';
import { makeUser, PASSWORD, webSite, type WebSite } from './helpers/web.ts';
import type { LogEntry } from '../src/audit/index.ts';

// Issue 16 items 11 and 18 in Debian's chromium, with two origins on loopback: the
// console on one port, an attacker's page on another port of the same host. Same host,
// different port is *same-site* to a browser, so SameSite=Strict cookies go along.
//
// Two consoles: plain HTTP on 127.0.0.1 (what `npm start` serves), and TLS mode under the
// name tresor.test (mapped to 127.0.0.1 inside chromium). The name matters: browsers
// treat http://127.0.0.1 as a secure context (it may set Secure cookies and gets Fetch
// Metadata), a LAN name over plain HTTP is not one — http://tresor.test stands for it.

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;
const DAY = 86_400_000;

function freepbxName(daysAgo: number, n: number, from: string): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${from}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642533${p(n)}.${n}.wav`;
}

/** The console on 127.0.0.1 (real HTTP or HTTPS server in this process). */
async function listen(w: WebSite, tls?: { key: Buffer; cert: Buffer }): Promise<{ server: ServerType; origin: string }> {
  const server = serve({
    fetch: w.app.fetch, hostname: '127.0.0.1', port: 0,
    ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
  });
  await new Promise((r) => server.once('listening', r));
  return { server, origin: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** An attacker's web server on another port of the same host; serves whatever page is set. */
async function attackerSite(tls?: { key: Buffer; cert: Buffer }): Promise<{ server: Server; origin: string; show(html: string, headers?: Record<string, string>): void }> {
  let page = '';
  let extra: Record<string, string> = {};
  const handler = (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...extra });
    res.end(page);
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    server, origin: `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`,
    show: (h, headers = {}) => {
      page = h;
      extra = headers;
    },
  };
}

/** A plain HTTP request from a chosen local address (the attacker's own machine, here 127.0.0.2). */
function fetchFrom(localAddress: string, url: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === 'https:' ? httpsRequest : request;
    // every name here is loopback (tresor.test too); the self-signed certificate is not
    // checked: this client is the attacker, not a victim
    const req = send({
      host: '127.0.0.1', port: u.port, path: u.pathname + u.search, method: o.method ?? 'GET',
      headers: { Host: u.host, ...o.headers }, localAddress, rejectUnauthorized: false,
    }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

const cookieOf = (headers: Record<string, string | string[] | undefined>, name: string) =>
  ([headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${name}=`)) ?? '').split(';')[0]!.slice(name.length + 1);
const csrfIn = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

describe('attacks from another port of the same host, in a browser', { skip }, () => {
  let w: WebSite;
  let tw: WebSite;
  let console_: { server: ServerType; origin: string };
  let tls: { server: ServerType; origin: string };
  let evil: Awaited<ReturnType<typeof attackerSite>>;
  /** the attacker's other TLS service on the host (http:// is cross-site to https://: schemeful same-site) */
  let evilTls: Awaited<ReturnType<typeof attackerSite>>;
  let browser: Browser;
  const calls: Record<string, string> = {};
  const work = mkdtempSync(join(tmpdir(), 'tresor-attack-'));
  /** the attacker's page, on the console's host name */
  const evilFor = (consoleOrigin: string, on = evil) => on.origin.replace('127.0.0.1', new URL(consoleOrigin).hostname);

  before(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=tresor.test',
      '-addext', 'subjectAltName=DNS:tresor.test', '-keyout', join(work, 'key.pem'), '-out', join(work, 'cert.pem')], { stdio: 'ignore' });
    w = await webSite();
    tw = await webSite((c) => {
      c.web.tlsCert = join(work, 'cert.pem');
      c.web.tlsKey = join(work, 'key.pem');
    });
    for (const site of [w, tw]) {
      await makeUser(site, 'sam', ['supervisor']);
      await makeUser(site, 'mallory', ['auditor']);
    }
    calls.http = await w.ingestCall(freepbxName(2, 1, '015112345678'), { seconds: 2, source: 'noise' });
    calls.tls = await tw.ingestCall(freepbxName(2, 1, '015112345678'), { seconds: 2, source: 'noise' });
    console_ = await listen(w);
    const t = await listen(tw, { key: readFileSync(join(work, 'key.pem')), cert: readFileSync(join(work, 'cert.pem')) });
    tls = { server: t.server, origin: t.origin.replace('127.0.0.1', 'tresor.test') };
    evil = await attackerSite();
    evilTls = await attackerSite({ key: readFileSync(join(work, 'key.pem')), cert: readFileSync(join(work, 'cert.pem')) });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--mute-audio', '--autoplay-policy=no-user-gesture-required', '--disable-background-networking',
        '--disable-component-update', '--no-first-run', '--host-resolver-rules=MAP tresor.test 127.0.0.1'],
    });
  });
  after(async () => {
    await browser?.close();
    await new Promise((r) => evil?.server.close(r));
    await new Promise((r) => evilTls?.server.close(r));
    await new Promise((r) => console_?.server.close(r));
    await new Promise((r) => tls?.server.close(r));
    await w?.close();
    await tw?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function signedIn(origin: string, name: string, o: { ignoreHTTPSErrors?: boolean } = {}): Promise<BrowserContext> {
    const ctx = await browser.newContext({ locale: 'en-GB', acceptDownloads: true, ...o });
    const page = await ctx.newPage();
    await page.goto(`${origin}/login`);
    await page.getByLabel('User name').fill(name);
    await page.getByLabel(/^Password$/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.close();
    return ctx;
  }

  for (const mode of ['http', 'tls'] as const) {
    it(`11 (${mode === 'http' ? 'HTTP on loopback' : 'TLS mode'}): a page on another port cannot make a signed-in supervisor's browser play, download or search (refused, logged); the console itself still works`, async () => {
      const site = mode === 'http' ? w : tw;
      const o = mode === 'http' ? console_.origin : tls.origin;
      const call = calls[mode]!;
      const ctx = await signedIn(o, 'sam', { ignoreHTTPSErrors: mode === 'tls' });
      const from = site.site.log.size();
      const attacker = mode === 'http' ? evil : evilTls;
      attacker.show(`<!doctype html><title>cat pictures</title>
<img src="${o}/recordings?number=0151%201234%205678">
<audio src="${o}/recordings/${call}/audio" autoplay></audio>
<iframe src="${o}/recordings/${call}"></iframe>
<script>
  fetch('${o}/recordings/${call}/download?format=stored', { credentials: 'include', mode: 'no-cors' });
  fetch('${o}/api/recordings?number=015112345678', { credentials: 'include', mode: 'no-cors' });
  fetch('${o}/log', { credentials: 'include', mode: 'no-cors' });
</script>`);
      const page = await ctx.newPage();
      await page.goto(evilFor(o, attacker));
      // every one of those requests reaches the console (6 of them) before we look
      await waitForEntries(site, from, 6);
      const mine = site.site.log.entries(from, site.site.log.size()).filter((e: LogEntry) => e.actor === 'user:sam');
      const content = mine.filter((e) => /^recording\.(searched|viewed|played|downloaded)$/.test(e.action));
      assert.deepEqual(content.map((e) => e.action), [], 'nothing was searched, viewed, played or downloaded as sam');
      const denied = mine.filter((e) => e.action === 'access.denied');
      assert.ok(denied.length >= 5, `refusals logged: ${JSON.stringify(mine.map((e) => e.action))}`);
      assert.ok(denied.every((e) => e.detail.why === 'cross-site-request' && e.detail.fetchSite === 'same-site'), JSON.stringify(denied[0]));

      // the same things from the console's own pages still work
      const before = site.site.log.size();
      await page.goto(`${o}/recordings?number=0151+1234+5678`);
      await page.locator('#results tbody tr').first().getByRole('link').click();
      await page.waitForURL(`${o}/recordings/${call}`);
      const played = await page.locator('audio').evaluate(async (el: HTMLAudioElement) => {
        await el.play();
        return !el.paused && el.error === null;
      });
      assert.ok(played, 'the console\'s own player plays');
      const actions = site.site.log.entries(before, site.site.log.size()).map((e) => e.action);
      for (const a of ['recording.searched', 'recording.viewed', 'recording.played']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
      await ctx.close();
    });
  }

  async function waitForEntries(site: WebSite, from: number, n: number): Promise<void> {
    const until = Date.now() + 15_000;
    while (site.site.log.size() - from < n && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
  }

  it('18: a pre-login cookie planted from another port does not hand its planter the login form\'s token', async () => {
    const o = console_.origin;
    // the attacker fetches a genuine pre-login cookie and form token from their own machine
    const mine = await fetchFrom('127.0.0.2', `${o}/login`);
    const planted = cookieOf(mine.headers, 'tresor_pre');
    const attackerToken = csrfIn(mine.body);
    assert.ok(planted && attackerToken);

    // … and plants the cookie in the victim's browser from their page on another port:
    // cookies do not care about ports, so it lands on the console's host (cookie tossing)
    const ctx = await browser.newContext({ locale: 'en-GB' });
    const page = await ctx.newPage();
    evil.show(`<!doctype html><script>document.cookie = 'tresor_pre=${planted}; path=/; SameSite=Strict';</script>`);
    await page.goto(evil.origin);
    assert.ok((await ctx.cookies(o)).some((c) => c.name === 'tresor_pre' && c.value === planted), 'the cookie was planted');

    await page.goto(`${o}/login`);
    const victimToken = csrfIn(await page.content());
    assert.notEqual(victimToken, attackerToken, 'the victim\'s form carries a token the planter does not know');

    // what a request from the victim's machine with the planted cookie and the planter's
    // token gets (a same-origin form post; the Origin check alone stops a cross-origin one)
    const forged = await fetchFrom('127.0.0.1', `${o}/login`, {
      method: 'POST',
      headers: { Origin: o, Cookie: `tresor_pre=${planted}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: attackerToken, name: 'mallory', password: PASSWORD }).toString(),
    });
    assert.equal(forged.status, 403, 'signed in as the planter');

    // the planter's own form, posted from their page, is refused by the Origin check
    evil.show(`<!doctype html><form method="post" action="${o}/login"><input name="_csrf" value="${attackerToken}">
<input name="name" value="mallory"><input name="password" value="${PASSWORD}"></form><script>document.forms[0].submit()</script>`);
    const [res] = await Promise.all([page.waitForResponse(`${o}/login`), page.goto(evil.origin)]);
    assert.equal(res.status(), 403);
    await page.goto(`${o}/account`);
    assert.match(page.url(), /\/login/, 'the victim is not signed in as anyone');
    await ctx.close();
  });

  /** The planter signs in as mallory from their own machine and keeps the session cookie. */
  async function plantersSession(origin: string, tls: boolean): Promise<string> {
    const names = tls ? { pre: '__Host-tresor_pre', session: '__Host-tresor_session' } : { pre: 'tresor_pre', session: 'tresor_session' };
    const pre = await fetchFrom('127.0.0.2', `${origin}/login`);
    const login = await fetchFrom('127.0.0.2', `${origin}/login`, {
      method: 'POST',
      headers: { Origin: origin, Cookie: `${names.pre}=${cookieOf(pre.headers, names.pre)}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrfIn(pre.body), name: 'mallory', password: PASSWORD }).toString(),
    });
    assert.equal(login.status, 303);
    return cookieOf(login.headers, names.session);
  }

  it('18: in HTTP mode a session cookie planted from another port signs the browser in as the planter; with TLS (__Host-, Secure) an http:// page cannot plant it', async () => {
    // HTTP mode, the documented limit: cookies know no ports, so the server on another
    // port sets one (the same happens over http://<LAN name>)
    const session = await plantersSession(console_.origin, false);
    const plain = await signedIn(console_.origin, 'sam');
    const p1 = await plain.newPage();
    evil.show('<!doctype html><p>hello</p>', { 'Set-Cookie': `tresor_session=${session}; Path=/; HttpOnly; SameSite=Strict` });
    await p1.goto(evil.origin);
    await p1.goto(`${console_.origin}/account`);
    assert.match(await p1.locator('.who').innerText(), /^mallory/, 'HTTP mode: planted (why TLS is the real fix)');
    await plain.close();

    // TLS mode: the cookie is __Host-tresor_session, Secure; http://tresor.test cannot set it
    const tlsSession = await plantersSession(tls.origin, true);
    const secure = await signedIn(tls.origin, 'sam', { ignoreHTTPSErrors: true });
    const p2 = await secure.newPage();
    evil.show(`<!doctype html><script>document.cookie = '__Host-tresor_session=${tlsSession}; Path=/; Secure';</script>`,
      { 'Set-Cookie': `__Host-tresor_session=${tlsSession}; Path=/; Secure; HttpOnly; SameSite=Strict` });
    await p2.goto(evilFor(tls.origin));
    await p2.goto(`${tls.origin}/account`);
    assert.match(await p2.locator('.who').innerText(), /^sam/, 'TLS mode: still the victim\'s own session');
    await secure.close();
  });
});
