import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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
// Then (issue 11 Tests) the rest of the journey in the same browser: that access request's
// package reviewed, released and downloaded (a real ZIP: unzip tests it); an erasure request
// the requesting dpo cannot approve and a second dpo does (certificate on the page); an
// objection by number in the register, the subject's archived call restricted from there,
// and a new call from that number dropped in the inbox refused at ingest (nothing archived).
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;
const PASSWORD = 'a long enough password 42';

describe('the DPO workbench in a browser', { skip }, () => {
  let c: Config;
  let url = '';
  let browser: Browser;
  let serve: ReturnType<typeof startServe>;
  let callId = '';
  let secondId = '';
  let oldId = '';
  let accessId = '';
  const work = mkdtempSync(join(tmpdir(), 'tresor-dpo-'));

  before(async () => {
    c = testConfig();
    const call = await makeAudio(work, 'in-4930123456-015112345678-20261125-101500-1764250000.12.wav', { format: 'wav-pcm8k', seconds: 5, source: 'noise', seed: 3 });
    // the subject who objects later: one call archived before the objection
    const second = await makeAudio(work, 'in-4930123456-016055551234-20261126-091500-1764340000.13.wav', { format: 'wav-pcm8k', seconds: 2, source: 'noise', seed: 4 });
    assert.equal((await cli(c, ['init'])).code, 0);
    const r = await cli(c, ['ingest', call, second]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // the two are ingested in parallel: the lines come in the order they finish
    const idOf = (number: string) => new RegExp(`-${number}-[^:]*: archived as ([0-9A-Z]{26})`).exec(r.stdout)?.[1];
    callId = idOf('015112345678')!;
    secondId = idOf('016055551234')!;
    assert.ok(callId && secondId && callId !== secondId, r.stdout);
    const site = openSite(c);
    await addUser(site.store, site.log, 'cli:test', { name: 'dora', roles: ['dpo'], password: PASSWORD });
    await addUser(site.store, site.log, 'cli:test', { name: 'erik', roles: ['dpo'], password: PASSWORD });
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

  async function signIn(page: Page, name = 'dora'): Promise<void> {
    await page.goto(`${url}/privacy/requests`);
    assert.match(page.url(), /\/login\?next=%2Fprivacy%2Frequests$/);
    await page.getByLabel(/User name|Benutzername/).fill(name);
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
    accessId = id;
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

  it('package → review → release → ZIP; erasure approved by a second dpo only; objection, then a call from that number is refused at ingest', async () => {
    assert.ok(accessId, 'the first test registered the access request');
    const ctx = await browser.newContext({ locale: 'en-GB', acceptDownloads: true });
    const page = await ctx.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
    await signIn(page);

    // Art. 15: the draft lists the subject's call; released without a password; the ZIP opens
    await page.goto(`${url}/privacy/requests/${accessId}`);
    assert.deepEqual(await page.locator('#package-calls tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-call'))), [callId]);
    await page.getByLabel(/protect the ZIP with a password/).uncheck();
    await page.getByRole('button', { name: 'Release package' }).click();
    await page.waitForURL(`${url}/privacy/requests/${accessId}?done=released#package`);
    assert.match(await page.locator('#package-released').innerText(), /1 call\(s\), 0 withheld/);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('#package-zip').click()]);
    const zip = join(work, 'package.zip');
    await dl.saveAs(zip);
    const run = promisify(execFile);
    assert.match((await run('unzip', ['-t', zip])).stdout, /No errors detected/);
    const top = `package-${accessId}/`;
    const names = (await run('unzip', ['-Z1', zip])).stdout.split('\n').filter(Boolean);
    assert.ok(names.every((n) => n.startsWith(top)), names.join(' '));
    for (const f of ['manifest.json', 'cover-letter.pdf', 'inclusion.json', 'verify.html', `calls/${callId}.json`, `calls/${callId}.ogg`]) assert.ok(names.includes(top + f), `${f} in ${names.join(' ')}`);
    // the manifest in the ZIP names the call's audio with its SHA-256
    const manifest = (await run('unzip', ['-p', zip, `${top}manifest.json`])).stdout;
    assert.match(manifest, new RegExp(`calls/${callId}\\.ogg[\\s\\S]*[0-9a-f]{64}|[0-9a-f]{64}[\\s\\S]*calls/${callId}\\.ogg`));

    // Art. 17: dora asks; her own request has no approve button and a forged POST is refused
    await page.goto(`${url}/privacy/requests`);
    const form = page.locator('form[action="/privacy/requests"]');
    await form.getByLabel('Kind').selectOption('erasure');
    await form.getByLabel('Phone number').fill('0151 1234 5678');
    await form.getByRole('button', { name: 'Register request' }).click();
    await page.waitForURL(/\/privacy\/requests\/[0-9A-Z]{26}\?done=opened$/);
    const erasureId = /requests\/([0-9A-Z]{26})/.exec(page.url())![1]!;
    await page.getByLabel('How was the identity checked?').fill('ID card seen');
    await page.getByRole('button', { name: 'Record identity check' }).click();
    await page.waitForURL(/done=verified$/);
    await page.getByRole('button', { name: 'Ask for erasure' }).click();
    await page.waitForURL(/\/approvals\?done=requested#/);
    const approval = page.url().split('#')[1]!;
    const mine = page.locator(`#a-${approval}`);
    assert.match(await mine.innerText(), /Your own request: a second person has to decide/);
    assert.equal(await mine.getByRole('button', { name: 'Approve' }).count(), 0);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const forged = await page.request.post(`${url}/approvals/${approval}/decide`, { form: { _csrf: csrf, decision: 'approve' }, headers: { Origin: url } });
    assert.equal(forged.status(), 403, 'the same dpo cannot approve their own erasure');

    const ctx2 = await browser.newContext({ locale: 'en-GB' });
    const erik = await ctx2.newPage();
    await signIn(erik, 'erik');
    await erik.goto(`${url}/approvals`);
    await erik.locator(`#a-${approval}`).getByRole('button', { name: 'Approve' }).click();
    await erik.waitForURL(`${url}/approvals?done=approved`);
    await ctx2.close();
    await page.goto(`${url}/privacy/requests/${erasureId}`);
    assert.equal(await page.locator(`a[href="/privacy/requests/${erasureId}/certificate.pdf"]`).count(), 1, 'the certificate is there');
    assert.equal((await page.request.get(`${url}/recordings/${callId}/audio`)).status(), 404, 'the call is erased');

    // Art. 21: the register, reached from the workbench; an entry by number
    await page.goto(`${url}/privacy/requests`);
    await page.locator('#objections-link').click();
    await page.waitForURL(`${url}/privacy/objections`);
    await page.getByLabel('Phone number').fill('0160 5555 1234');
    await page.getByLabel('Scope').selectOption('record');
    await page.getByRole('button', { name: 'Add to the register' }).click();
    await page.waitForURL(/\/privacy\/objections\?task=[0-9A-Z]{26}#objection-added$/);
    assert.match(await page.locator('#existing-calls').innerText(), /^1 archived call\(s\) of this subject exist \(0 of them restricted\)/);
    assert.doesNotMatch(await page.content(), /5555\s?1234|4916055551234/, 'the number is not on the page');
    assert.match(await page.locator('#objections tbody tr').first().innerText(), /do not record.*by hand.*number/s);
    await page.locator('#objection-added').getByRole('button', { name: 'Restrict all of them' }).click();
    await page.waitForURL(/restricted=1&already=0#objection-added$/);
    assert.match(await page.locator('#task-h').innerText(), /1 call\(s\) restricted, 0 were restricted already/);
    await page.goto(`${url}/recordings?number=016055551234`);
    assert.equal(await page.locator(`#results tr[data-id="${secondId}"] .badge.restricted`).getAttribute('data-restricted'), 'objection');

    // a new call from that number: refused at ingest, the source destroyed, nothing archived
    const incoming = await makeAudio(work, 'in-4930123456-016055551234-20261201-101500-1764580000.14.wav', { format: 'wav-pcm8k', seconds: 2, source: 'noise', seed: 5 });
    const dropped = join(c.inbox, 'in-4930123456-016055551234-20261201-101500-1764580000.14.wav');
    renameSync(incoming, dropped);
    await waitFor('the refused source is destroyed', () => !existsSync(dropped), 30_000, 50);
    await page.goto(`${url}/log?action=recording.refused`);
    assert.match(await page.locator('main table tbody').first().innerText(), /recording\.refused[\s\S]*objection/);
    await page.goto(`${url}/privacy/requests`);
    const lookup = page.locator('form[action="/privacy/subjects"]');
    await lookup.getByLabel('Phone number').fill('0160 5555 1234');
    await lookup.getByRole('button', { name: 'Look up' }).click();
    await page.locator('#hits-recordings').waitFor();
    assert.equal((await page.locator('#hits-recordings').innerText()).trim(), secondId, 'only the call from before the objection');
    assert.deepEqual(cspErrors, [], 'no CSP violations');
    await ctx.close();
  });
});
