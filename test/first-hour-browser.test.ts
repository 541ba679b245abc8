// Issue 15's "done when": each role's first hour, walked in Debian's chromium against the
// real service on loopback, once in German and once in English — setup link → users (with
// the four-eyes grant) → a call dropped into the inbox → search by a number as people type
// it → play → legal hold → early deletion asked and approved by a second person → the
// auditor's export → verify.html opened offline from the unpacked export. Each step asserts
// what that person would notice, in their language. Never downloads a browser.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { testConfig, cli, startServe } from './helpers/site.ts';
import { makeAudio } from './helpers/audio.ts';
import { waitFor } from './helpers/wait.ts';
import type { Config } from '../src/config/index.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;
const PASSWORD = 'a long enough password 42';

type Lang = 'de' | 'en';
/** the words each step looks for, as the console says them */
const WORDS: Record<Lang, Record<'users' | 'listen' | 'callId' | 'hidden' | 'heldCalls' | 'action' | 'denied', RegExp>> = {
  de: { users: /Benutzer/, listen: /Anhören/, callId: /Anruf-ID/, hidden: /ausgeblendet/, heldCalls: /Aktive Holds/, action: /Aufnahme angehört/, denied: /Ihre Rolle erlaubt das nicht/ },
  en: { users: /Users/, listen: /Listen/, callId: /Call ID/, hidden: /hidden/, heldCalls: /Active holds/, action: /Recording played/, denied: /Your role does not allow this/ },
};

describe('each role\'s first hour, in a browser, in German and in English', { skip }, () => {
  let c: Config;
  let url = '';
  let setupLink = '';
  let browser: Browser;
  let serve: ReturnType<typeof startServe>;
  let stderr = '';
  const work = mkdtempSync(join(tmpdir(), 'tresor-first-hour-'));

  before(async () => {
    c = testConfig();
    assert.equal((await cli(c, ['init'])).code, 0);
    serve = startServe(c);
    serve.stderr!.on('data', (d) => (stderr += d));
    await waitFor('service up', () => /console on (http:\/\/\S+),/.test(stderr) && /setup\?token=/.test(stderr) || serve.exitCode !== null, 30_000, 20);
    url = /console on (http:\/\/\S+),/.exec(stderr)![1]!;
    setupLink = /(\S+\/setup\?token=\S+)/.exec(stderr)![1]!;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required', '--mute-audio', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await waitFor('service stopped', () => serve.exitCode !== null || serve.signalCode !== null, 30_000);
    }
    rmSync(work, { recursive: true, force: true });
  });

  /** a person at their own browser, in their language; CSP errors collected */
  async function person(lang: Lang): Promise<{ ctx: BrowserContext; page: Page; csp: string[] }> {
    const ctx = await browser.newContext({ acceptDownloads: true, locale: lang === 'de' ? 'de-DE' : 'en-GB' });
    const page = await ctx.newPage();
    const csp: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) csp.push(m.text()); });
    return { ctx, page, csp };
  }

  async function signIn(page: Page, name: string): Promise<void> {
    await page.goto(`${url}/login`);
    await page.fill('#name', name);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.locator('main form[action^="/login"] button[type=submit]').click()]);
  }

  /** the admin adds a user; the one-time link the page shows is opened by that user */
  async function addUser(admin: Page, name: string, role: string, reason?: string): Promise<string> {
    await admin.goto(`${url}/admin/users`);
    await admin.fill('#new-name', name);
    await admin.check(`#new-role-${role}`);
    if (reason) await admin.fill('#new-reason', reason);
    await admin.locator('form[action="/admin/users"] button[type=submit]').click();
    await admin.waitForSelector('#new-link-value');
    return admin.inputValue('#new-link-value');
  }

  async function setPassword(lang: Lang, link: string): Promise<void> {
    const p = await person(lang);
    await p.page.goto(link);
    await p.page.fill('#password', PASSWORD);
    await p.page.fill('#password2', PASSWORD);
    await Promise.all([p.page.waitForURL(/\/login/), p.page.locator('main form[action="/password/set"] button[type=submit]').click()]);
    await p.ctx.close();
  }

  /** every open approval on /approvals is approved by this (second) person */
  async function approveAll(page: Page): Promise<number> {
    let n = 0;
    for (;;) {
      await page.goto(`${url}/approvals`);
      const button = page.locator('button[name=decision][value=approve]').first();
      if (await button.count() === 0) return n;
      await Promise.all([page.waitForLoadState('load'), button.click()]);
      n++;
    }
  }

  async function dropCall(name: string, seconds: number, seed: number): Promise<string> {
    const tmp = join(work, `drop-${seed}`);
    mkdirSync(tmp, { recursive: true });
    const file = await makeAudio(tmp, name, { format: 'wav-pcm8k', seconds, source: 'noise', seed });
    const before = [...stderr.matchAll(/tresor: archived ([0-9A-Z]{26})/g)].length;
    renameSync(file, join(c.inbox, name));
    // the service says "archived ID" per call; one call at a time, so the next line is this one
    const ids = await waitFor(`${name} archived`, () => {
      const all = [...stderr.matchAll(/tresor: archived ([0-9A-Z]{26})/g)];
      return all.length > before ? all : undefined;
    }, 60_000, 50);
    const id = ids[before]![1]!;
    return id;
  }

  for (const [round, lang] of [[0, 'de'], [1, 'en']] as const) {
    it(`${lang}: admin, supervisor, DPO and auditor each get through their first hour`, async () => {
      const W = WORDS[lang];
      const t0 = Date.now();
      const mark = (step: string) => { if (process.env.FIRST_HOUR_TIMES) process.stderr.write(`${lang} ${step}: ${Date.now() - t0} ms\n`); };
      const tag = lang;
      const stamp = (() => {
        const y = new Date(Date.now() - 86400_000);
        return `${y.getFullYear()}${String(y.getMonth() + 1).padStart(2, '0')}${String(y.getDate()).padStart(2, '0')}-1${round}1500`;
      })();

      // ── the administrator: the setup link (first round) or a colleague's invitation
      const admin = await person(lang);
      const adminName = `anna-${tag}`;
      if (round === 0) {
        await admin.page.goto(setupLink);
        await admin.page.fill('#name', adminName);
        await admin.page.fill('#password', PASSWORD);
        await Promise.all([admin.page.waitForURL(/\/admin\/users/), admin.page.locator('main form[action="/setup"] button[type=submit]').click()]);
      } else {
        const prev = await person(lang);
        await signIn(prev.page, 'anna-de');
        await setPassword(lang, await addUser(prev.page, adminName, 'admin'));
        await prev.ctx.close();
        await signIn(admin.page, adminName);
        await admin.page.goto(`${url}/admin/users`);
      }
      assert.match(await admin.page.innerText('h1'), W.users!);
      // a second administrator, who will decide what the first asks for
      const second = `ben-${tag}`;
      await setPassword(lang, await addUser(admin.page, second, 'admin'));
      // roles that see personal data need the second person (four-eyes)
      const sam = `sam-${tag}`, dora = `dora-${tag}`, otto = `otto-${tag}`;
      await setPassword(lang, await addUser(admin.page, sam, 'supervisor', 'team lead of the service desk'));
      await setPassword(lang, await addUser(admin.page, dora, 'dpo', 'our data protection officer'));
      await setPassword(lang, await addUser(admin.page, otto, 'auditor'));
      mark('users added');
      const ben = await person(lang);
      await signIn(ben.page, second);
      assert.equal(await approveAll(ben.page), 2, 'the supervisor and the DPO grant wait for the second administrator');

      mark('admin done');
      // ── a call arrives (FreePBX names; the caller's number in international form)
      const caller = round === 0 ? '015120000101' : '015120000202';
      const idKeep = await dropCall(`in-${caller}-200-${stamp}-17640000${round}1.1.wav`, 6, 10 + round);
      const idGo = await dropCall(`in-030555000${round}-201-${stamp}-17640000${round}2.2.wav`, 2, 20 + round);
      assert.ok(idKeep && idGo, `both calls archived: ${stderr.slice(-2000)}`);

      mark('calls archived');
      // ── the supervisor: finds yesterday's call by the number as the customer says it, plays it
      const s = await person(lang);
      await signIn(s.page, sam);
      await s.page.goto(`${url}/recordings`);
      await s.page.fill('input[name=number]', round === 0 ? '0151 2000 0101' : '+49 (151) 2000-0202');
      await Promise.all([s.page.waitForResponse((r) => r.url().includes('/recordings?')), s.page.locator('form[action="/recordings"] button[type=submit]').first().click()]);
      await s.page.waitForSelector(`a[href="/recordings/${idKeep}"]`);
      assert.equal(await s.page.locator('a[href^="/recordings/01"]').count(), 1, 'exactly the customer\'s call');
      await s.page.click(`a[href="/recordings/${idKeep}"]`);
      await s.page.waitForSelector('audio');
      assert.match(await s.page.innerText('#h-play'), W.listen!);
      assert.match(await s.page.innerText('main'), W.callId!);
      const played = await s.page.evaluate(async () => {
        const a = document.querySelector('audio')!;
        a.preload = 'auto';
        a.load();
        await new Promise((r) => a.addEventListener('loadedmetadata', r, { once: true }));
        a.currentTime = a.duration / 2;
        await a.play();
        await new Promise((r) => setTimeout(r, 400));
        a.pause();
        return { at: a.currentTime, duration: a.duration };
      });
      assert.ok(played.at > played.duration / 2 - 0.5, `played from the middle: ${JSON.stringify(played)}`);

      mark('supervisor done');
      // ── the DPO: a legal hold on the customer's call, early deletion of the other one
      const d = await person(lang);
      await signIn(d.page, dora);
      await d.page.goto(`${url}/holds`);
      await d.page.fill('#h-case', `Az. ${round + 1} O 12/26`);
      await d.page.fill('#h-reason', 'complaint, customer announced legal action');
      await d.page.fill('#h-ids', idKeep);
      await Promise.all([d.page.waitForURL(/done=placed/), d.page.locator('form:has(#h-case) button[type=submit]').click()]);
      assert.match(await d.page.innerText('main'), W.heldCalls!);
      assert.ok((await d.page.innerText('main')).includes(`Az. ${round + 1} O 12/26`), 'the case name is shown to the DPO');
      await d.page.fill('#d-ids', `${idKeep}\n${idGo}`);
      await d.page.fill('#d-reason', 'recorded by mistake');
      await Promise.all([d.page.waitForURL(/done=deletion-requested/), d.page.locator('form:has(#d-ids) button[type=submit]').click()]);
      // the DPO cannot approve her own request; the administrator (second person) can
      await d.page.goto(`${url}/approvals`);
      assert.equal(await d.page.locator('button[name=decision][value=approve]').count(), 0, 'no approve button for one\'s own request');
      assert.equal(await approveAll(admin.page), 1);
      // the held call stays playable; the other is gone
      const kept = await s.page.goto(`${url}/recordings/${idKeep}`);
      assert.equal(kept!.status(), 200);
      const gone = await s.page.goto(`${url}/recordings/${idGo}`);
      assert.equal(gone!.status(), 404, 'the deleted call is gone');

      mark('dpo done');
      // ── the auditor: no personal data, the log in words, an export verified offline
      const a = await person(lang);
      await signIn(a.page, otto);
      await a.page.goto(`${url}/recordings/${idKeep}`);
      assert.match(await a.page.innerText('main'), W.hidden!);
      assert.equal(await a.page.locator('audio').count(), 0, 'no player for the auditor');
      const refused = await a.page.goto(`${url}/recordings/${idKeep}/download?format=stored`);
      assert.equal(refused!.status(), 403);
      assert.match(await a.page.innerText('main'), W.denied!);
      await a.page.goto(`${url}/log`);
      assert.match(await a.page.innerText('#log-table'), W.action!);
      const [download] = await Promise.all([a.page.waitForEvent('download'), a.page.locator('a[href*="/log/export"], form[action*="/log/export"] button').first().click()]);
      const tar = join(work, `export-${lang}.tar`);
      await download.saveAs(tar);
      const dir = join(work, `export-${lang}`);
      mkdirSync(dir);
      assert.equal(spawnSync('tar', ['-xf', tar, '-C', dir]).status, 0);
      const top = existsSync(join(dir, 'verify.html')) ? dir : join(dir, readFileSync(tar).subarray(0, 100).toString('latin1').split('/')[0]!);
      const v = await person(lang);
      const requests: string[] = [];
      v.page.on('request', (r) => requests.push(r.url()));
      await v.page.goto(pathToFileURL(join(top, 'verify.html')).href);
      await v.page.setInputFiles('#dir', top);
      await v.page.waitForSelector('body[data-verdict]', { timeout: 60_000 });
      assert.equal(await v.page.getAttribute('body', 'data-verdict'), 'pass', await v.page.innerText('body'));
      assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'verify.html makes no network request');

      mark('auditor done');
      for (const p of [admin, ben, s, d, a, v]) {
        assert.deepEqual(p.csp, [], 'no CSP violation');
        await p.ctx.close();
      }
    });
  }
});
