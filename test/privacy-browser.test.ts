import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { testConfig, cli, startServe } from './helpers/site.ts';
import { makeAudio } from './helpers/audio.ts';
import { waitFor } from './helpers/wait.ts';
import { openSite } from '../src/site/open.ts';
import { addUser } from '../src/auth/index.ts';
import { openRequest } from '../src/privacy/index.ts';
import type { Config } from '../src/config/index.ts';

// Issue 11 item 9, the DPO's journey in Debian's chromium against the real service on
// loopback: sign in, look up a number with an ingested call (real audio), register an
// access request, verify the identity, see the due date and the timeline; a request
// received long ago is shown overdue (red). No CSP violation on the way.
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;
const PASSWORD = 'a long enough password 42';

describe('the DPO workbench in a browser', { skip }, () => {
  let c: Config;
  let url = '';
  let browser: Browser;
  let serve: ReturnType<typeof startServe>;
  let callId = '';
  let oldId = '';
  const work = mkdtempSync(join(tmpdir(), 'tresor-dpo-'));

  before(async () => {
    c = testConfig();
    const call = await makeAudio(work, 'in-4930123456-015112345678-20261125-101500-1764250000.12.wav', { format: 'wav-pcm8k', seconds: 5, source: 'noise', seed: 3 });
    assert.equal((await cli(c, ['init'])).code, 0);
    const r = await cli(c, ['ingest', call]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    callId = /archived as ([0-9A-Z]{26})/.exec(r.stdout)![1]!;
    const site = openSite(c);
    await addUser(site.store, site.log, 'cli:test', { name: 'dora', roles: ['dpo'], password: PASSWORD });
    // received two months ago: its month is over
    const old = await openRequest({ store: site.store, log: site.log, phone: c.phone, keys: site.keys }, 'cli:test', {
      kind: 'erasure', customerId: 'K-4711', receivedAt: Date.now() - 62 * 86400_000, channel: 'letter',
    });
    oldId = old.id;
    await site.close();
    serve = startServe(c);
    let err = '';
    serve.stderr!.on('data', (d) => (err += d));
    await waitFor('service up', () => /console on (http:\/\/\S+),/.exec(err) || serve.exitCode !== null, 30_000, 20);
    url = /console on (http:\/\/\S+),/.exec(err)![1]!;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--mute-audio', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
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

  async function signIn(page: Page): Promise<void> {
    await page.goto(`${url}/privacy/requests`);
    assert.match(page.url(), /\/login\?next=%2Fprivacy%2Frequests$/);
    await page.getByLabel(/User name|Benutzername/).fill('dora');
    await page.getByLabel(/^(Password|Passwort)$/).fill(PASSWORD);
    await page.getByRole('button', { name: /Sign in|Anmelden/ }).click();
    await page.waitForURL(`${url}/privacy/requests`);
  }

  it('a dpo looks up a number, registers an access request, verifies the identity and sees the due date and the timeline', async () => {
    const ctx = await browser.newContext({ locale: 'en-GB' });
    const page = await ctx.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
    await signIn(page);
    assert.equal(await page.getByRole('link', { name: 'Privacy', exact: true }).getAttribute('aria-current'), 'page');

    // the old request is overdue: its row is red and says so
    const oldRow = page.locator(`#req-${oldId}`);
    assert.equal(await oldRow.getAttribute('class'), 'overdue');
    assert.match(await oldRow.innerText(), /overdue/);
    const colour = await oldRow.locator('td').first().evaluate((el) => getComputedStyle(el).color);
    assert.equal(colour, 'rgb(180, 35, 24)', 'overdue in red');
    assert.match(await page.locator('#counts [data-kind="erasure"]').innerText(), /1/);

    const lookup = page.locator('form[action="/privacy/subjects"]');
    await lookup.getByLabel('Phone number').fill('0151 1234 5678');
    await lookup.getByRole('button', { name: 'Look up' }).click();
    await page.locator('#hits-recordings').waitFor();
    assert.match(await page.locator('#hits-recordings').innerText(), new RegExp(callId));
    assert.doesNotMatch(page.url(), /0151/, 'the number is not in the URL');

    const form = page.locator('form[action="/privacy/requests"]');
    await form.getByLabel('Kind').selectOption('access');
    await form.getByLabel('Phone number').fill('0151 1234 5678');
    await form.getByLabel('Channel').fill('e-mail');
    await form.getByRole('button', { name: 'Register request' }).click();
    await page.waitForURL(/\/privacy\/requests\/[0-9A-Z]{26}\?done=opened$/);
    const id = /requests\/([0-9A-Z]{26})/.exec(page.url())![1]!;
    assert.match(await page.locator('#kind').innerText(), /Access \(Art\. 15\)/);
    assert.match(await page.locator('#state').innerText(), /^received$/);

    await page.getByLabel('How was the identity checked?').fill('call-back to the number on file');
    await page.getByRole('button', { name: 'Record identity check' }).click();
    await page.waitForURL(`${url}/privacy/requests/${id}?done=verified`);
    assert.match(await page.locator('#state').innerText(), /identity verified/);
    assert.match(await page.locator('#identity').innerText(), /call-back to the number on file, by user:dora/);

    // due one calendar month after today, not overdue
    const due = await page.locator('#due time').getAttribute('datetime');
    const expect = new Date();
    expect.setMonth(expect.getMonth() + 1);
    assert.ok(Math.abs(Date.parse(due!) - expect.getTime()) < 3 * 86400_000, `due ${due}`);
    assert.equal(await page.locator('#due .badge.overdue').count(), 0);

    const steps = await page.locator('#timeline tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action')));
    assert.deepEqual(steps, ['request.opened', 'request.identity-verified']);
    assert.match(await page.locator('#timeline').innerText(), /user:dora/);
    assert.doesNotMatch(await page.locator('#timeline').innerText(), /15112345678/);

    // the old request's page shows the due date in red too
    await page.goto(`${url}/privacy/requests/${oldId}`);
    assert.equal(await page.locator('#due').getAttribute('class'), 'error');
    assert.match(await page.locator('#due').innerText(), /overdue/);
    assert.deepEqual(cspErrors, [], 'no CSP violations');
    await ctx.close();
  });
});
