import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createAuditLog, exportAudit, hashLeaf, toHex } from '../src/audit/index.ts';
import { createCompactRange } from '../src/audit/compact-range.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex } from '../src/store/index.ts';

// verify.html opened from disk in Debian's headless chromium; never downloads a browser.
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;

describe('verify.html in a browser', { skip }, () => {
  const dirs: string[] = [];
  let browser: Browser;
  let good: string;
  let bad: string;
  let hollow: string;
  let mine: string; // the auditor's own checkpoint from last time
  let otherKey: string;

  before(async () => {
    const tmp = (p: string) => {
      const d = mkdtempSync(join(tmpdir(), p));
      dirs.push(d);
      return d;
    };
    const store = openIndex(tmp('tresor-browser-db-'));
    const signer = createNoteSigner('test.tresor/browser', new Uint8Array(32).fill(11));
    const log = createAuditLog(store, { signer, origin: signer.name });
    await log.append(Array.from({ length: 300 }, (_, i) => ({ actor: 'user:a', action: 'recording.played', target: `R${i}`, detail: { i } })));
    const since = await log.checkpointNow();
    await log.append(Array.from({ length: 41 }, (_, i) => ({ actor: 'user:b', action: 'recording.played', target: `S${i}`, detail: {} })));
    good = join(tmp('tresor-browser-'), 'export');
    await exportAudit(log, good, { since: since.note, from: 100 });
    await store.close();
    bad = join(tmp('tresor-browser-'), 'export');
    cpSync(good, bad, { recursive: true });
    const p = join(bad, 'entries.jsonl');
    writeFileSync(p, readFileSync(p, 'utf8').replace('"R150"', '"R151"'));
    mine = join(tmp('tresor-browser-mine-'), 'checkpoint');
    writeFileSync(mine, since.note);
    otherKey = join(tmp('tresor-browser-mine-'), 'log.vkey');
    writeFileSync(otherKey, `${createNoteSigner('test.tresor/browser', new Uint8Array(32).fill(12)).vkey}\n`);
    // hollowed: entries 100…319 dropped behind a frontier computed from them
    hollow = join(tmp('tresor-browser-'), 'export');
    cpSync(good, hollow, { recursive: true });
    const lines = readFileSync(join(hollow, 'entries.jsonl'), 'utf8').split('\n').slice(0, -1);
    const range = createCompactRange(100, JSON.parse(readFileSync(join(good, 'frontier.json'), 'utf8')).hashes.map((h: string) => Buffer.from(h, 'hex')));
    for (const l of lines.slice(0, 220)) range.append(hashLeaf(Buffer.from(l)));
    writeFileSync(join(hollow, 'entries.jsonl'), lines.slice(220).map((l) => l + '\n').join(''));
    writeFileSync(join(hollow, 'frontier.json'), JSON.stringify({ start: 320, hashes: range.frontier().map(toHex) }));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  async function check(dir: string, opts: { query?: string; input?: 'dir' | 'files'; checkpoint?: string; vkey?: string } = {}) {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'verify.html')).href + (opts.query ?? ''));
    if (opts.checkpoint) await page.setInputFiles('#mine-checkpoint', opts.checkpoint);
    if (opts.vkey) await page.setInputFiles('#mine-vkey', opts.vkey);
    if ((opts.input ?? 'dir') === 'dir') await page.setInputFiles('#dir', dir);
    else await page.setInputFiles('#files', readdirSync(dir).map((f) => join(dir, f)));
    await page.waitForSelector('body[data-verdict=pass], body[data-verdict=fail], body[data-verdict=partial]', { timeout: 30_000 });
    const verdict = await page.getAttribute('body', 'data-verdict');
    const text = await page.innerText('body');
    await page.close();
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no network requests');
    return { verdict, text };
  }

  it('good_export_from_100_is_verified_via_the_folder_picker_with_your_checkpoint', async () => {
    const r = await check(good, { checkpoint: mine });
    assert.equal(r.verdict, 'pass', r.text);
    assert.match(r.text, /VERIFIED: entries 100…340 checked; entries 0…99 are covered by your checkpoint \(size 300\)/);
    assert.match(r.text, /consistency: 300 → 341/);
    assert.match(r.text, /your checkpoint: size 300 is a prefix/);
  });

  it('good_export_is_verified_with_the_embedded_ed25519_and_the_file_list_input', async () => {
    const r = await check(good, { query: '?js-ed25519', input: 'files', checkpoint: mine });
    assert.equal(r.verdict, 'pass', r.text);
  });

  it('an_export_from_100_without_your_checkpoint_is_partial_and_says_so_first', async () => {
    const r = await check(good);
    assert.equal(r.verdict, 'partial', r.text);
    assert.match(r.text, /PARTIAL: this export covers entries 100…340 only; entries 0…99 were not checked/);
    assert.ok(r.text.indexOf('PARTIAL') < r.text.indexOf('ok — vkey'), 'the verdict comes before the checks');
  });

  it('hollowed_export_is_partial_alone_and_refused_with_your_checkpoint', async () => {
    // the attack of issue 16 #7 in the browser: once said VERIFIED
    const alone = await check(hollow);
    assert.equal(alone.verdict, 'partial', alone.text);
    assert.match(alone.text, /PARTIAL: this export covers entries 320…340 only; entries 0…319 were not checked/);
    const withMine = await check(hollow, { checkpoint: mine });
    assert.equal(withMine.verdict, 'fail', withMine.text);
    assert.match(withMine.text, /FAILED — your checkpoint: this export starts at entry 320 but your checkpoint has 300 entries: entries 300…319 are not in it/);
  });

  it('your_own_vkey_refuses_an_export_with_another_key', async () => {
    const r = await check(good, { checkpoint: mine, vkey: otherKey });
    assert.equal(r.verdict, 'fail', r.text);
    assert.match(r.text, /FAILED — vkey: the export's log\.vkey is not your key/);
  });

  it('tampered_export_is_rejected_with_the_failures_listed', async () => {
    const r = await check(bad);
    assert.equal(r.verdict, 'fail', r.text);
    assert.match(r.text, /NOT VERIFIED/);
    assert.match(r.text, /FAILED — tree root/);
    assert.match(r.text, /FAILED — chain: seq 151/);
  });
});
