import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { testConfig, cli, startServe } from './helpers/site.ts';
import { makeAudio } from './helpers/audio.ts';
import { waitFor } from './helpers/wait.ts';
import { openSite } from '../src/site/open.ts';
import { addUser, type Role } from '../src/auth/index.ts';
import type { LogEntry } from '../src/audit/index.ts';
import type { Config } from '../src/config/index.ts';

// The "done when": a new supervisor, given a login, finds yesterday's call from a
// customer's number and plays it from the middle — in Debian's chromium against the real
// service on loopback — and the log shows every step. Never downloads a browser.
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;
const PASSWORD = 'a long enough password 42';

describe('the console in a browser', { skip }, () => {
  let c: Config;
  let url = '';
  let browser: Browser;
  let serve: ReturnType<typeof startServe>;
  let callId = '';
  const work = mkdtempSync(join(tmpdir(), 'tresor-console-'));

  before(async () => {
    c = testConfig();
    // yesterday's call from the customer, 60 s, plus a call from someone else
    const y = new Date(Date.now() - 86400_000);
    const stamp = `${y.getFullYear()}${String(y.getMonth() + 1).padStart(2, '0')}${String(y.getDate()).padStart(2, '0')}-101500`;
    const call = await makeAudio(work, `in-4930123456-015112345678-${stamp}-1764250000.12.wav`, { format: 'wav-pcm8k', seconds: 60, source: 'noise', seed: 3 });
    const other = await makeAudio(work, `in-4930123456-0301111111-${stamp}-1764250001.13.wav`, { format: 'wav-pcm8k', seconds: 5, seed: 4 });
    assert.equal((await cli(c, ['init'])).code, 0, 'only serve and init create an archive');
    const r = await cli(c, ['ingest', call, other]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    callId = /015112345678.*archived as ([0-9A-Z]{26})/.exec(r.stdout)![1]!;
    const site = openSite(c);
    for (const [name, roles] of [['sam', ['supervisor']], ['audrey', ['auditor']]] as [string, Role[]][]) {
      await addUser(site.store, site.log, 'cli:test', { name, roles, password: PASSWORD });
    }
    await site.close();
    serve = startServe(c);
    let err = '';
    serve.stderr!.on('data', (d) => (err += d));
    await waitFor('service up', () => /console on (http:\/\/\S+),/.exec(err) || serve.exitCode !== null, 30_000, 20);
    url = /console on (http:\/\/\S+),/.exec(err)![1]!;
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

  async function signIn(page: Page, name: string): Promise<void> {
    await page.goto(`${url}/recordings`);
    assert.match(page.url(), /\/login\?next=%2Frecordings$/);
    await page.getByLabel(/User name|Benutzername/).fill(name);
    await page.getByLabel(/^(Password|Passwort)$/).fill(PASSWORD);
    await page.getByRole('button', { name: /Sign in|Anmelden/ }).click();
    await page.waitForURL(`${url}/recordings`);
  }

  it('a supervisor signs in, finds the call by number, plays it from the middle, downloads it, signs out', async () => {
    const ctx = await browser.newContext({ acceptDownloads: true, locale: 'en-GB' });
    const page = await ctx.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
    await signIn(page, 'sam');

    await page.getByLabel('Phone number').fill('0151 1234 5678');
    await page.getByLabel('Phone number').press('Enter');
    await page.waitForURL(/number=0151/);
    const rows = page.locator('#results tbody tr');
    await waitFor('one result', async () => (await rows.count()) === 1);
    assert.match(await rows.first().innerText(), /\+4915112345678/);

    await Promise.all([page.waitForURL(`${url}/recordings/${callId}`, { waitUntil: 'domcontentloaded' }), rows.first().getByRole('link').click()]);
    const audio = page.locator('audio');
    // Play, then seek to the middle: Chromium fetches the Ogg file with Range requests.
    const state = await audio.evaluate(async (el: HTMLAudioElement) => {
      await el.play();
      await new Promise((r) => setTimeout(r, 300));
      el.currentTime = 30;
      await new Promise<void>((r) => el.addEventListener('seeked', () => r(), { once: true }));
      await new Promise((r) => setTimeout(r, 300));
      return { duration: el.duration, time: el.currentTime, paused: el.paused, error: el.error?.message ?? null };
    });
    assert.equal(state.error, null);
    assert.ok(Math.abs(state.duration - 60) < 1, `duration ${state.duration}`);
    assert.ok(state.time >= 30 && state.time < 40, `playing from the middle: ${state.time}`);
    assert.equal(state.paused, false);

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download \(opus\)/ }).click()]);
    const saved = join(work, 'dl.opus');
    await download.saveAs(saved);
    assert.equal(readFileSync(saved).subarray(0, 4).toString('latin1'), 'OggS');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/login`);
    await page.goto(`${url}/recordings/${callId}`);
    assert.match(page.url(), /\/login\?next=/, 'signed out means signed out');
    assert.deepEqual(cspErrors, [], 'no CSP violations');
    await ctx.close();
  });

  it('a supervisor cannot reach admin pages; an auditor sees no player and gets no audio', async () => {
    const ctx = await browser.newContext({ locale: 'en-GB' });
    const page = await ctx.newPage();
    await signIn(page, 'sam');
    const admin = await page.goto(`${url}/admin/users`);
    assert.equal(admin!.status(), 403);
    await ctx.close();

    const ctx2 = await browser.newContext({ locale: 'de-DE' });
    const p2 = await ctx2.newPage();
    await signIn(p2, 'audrey');
    await p2.goto(`${url}/recordings/${callId}`);
    assert.equal(await p2.locator('audio').count(), 0);
    assert.match(await p2.innerText('main'), /Anhören von Aufnahmen nicht/);
    const res = await p2.goto(`${url}/recordings/${callId}/audio`);
    assert.equal(res!.status(), 403);
    await ctx2.close();
  });

  it('the log holds every step, for the DPO to see', async () => {
    serve.kill('SIGTERM');
    await waitFor('service stopped', () => serve.exitCode !== null, 30_000);
    const site = openSite(c);
    try {
      const sam = site.log.about('actor', 'user:sam', 500).reverse().map((e: LogEntry) => e.action);
      for (const a of ['auth.login', 'recording.searched', 'recording.viewed', 'recording.played', 'recording.downloaded', 'auth.logout', 'access.denied']) {
        assert.ok(sam.includes(a), `${a} in ${sam.join(', ')}`);
      }
      const plays = site.log.about('target', `recording:${callId}`, 500).filter((e: LogEntry) => e.action === 'recording.played');
      // Chromium asks with Range (bytes=0-); a short call arrives whole, so the seek needs no new request.
      assert.ok(plays.length >= 1 && plays.every((e) => e.actor === 'user:sam' && /^\d+-\d+$/.test(String(e.detail.range))), JSON.stringify(plays));
      const audrey = site.log.about('actor', 'user:audrey', 50).map((e: LogEntry) => e.action);
      assert.ok(audrey.includes('access.denied') && !audrey.includes('recording.played'));
      const v = await site.log.verifyAll();
      assert.deepEqual(v.problems, []);
    } finally {
      await site.close();
    }
    writeFileSync(join(work, 'done'), '');
  });
});
