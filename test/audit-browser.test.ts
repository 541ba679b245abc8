import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createAuditLog, exportAudit } from '../src/audit/index.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex } from '../src/index/index.ts';

// verify.html opened from disk in Debian's headless chromium; never downloads a browser.
const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;

describe('verify.html in a browser', { skip }, () => {
  const dirs: string[] = [];
  let browser: Browser;
  let good: string;
  let bad: string;

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

  async function check(dir: string, opts: { query?: string; input?: 'dir' | 'files' } = {}) {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(join(dir, 'verify.html')).href + (opts.query ?? ''));
    if ((opts.input ?? 'dir') === 'dir') await page.setInputFiles('#dir', dir);
    else await page.setInputFiles('#files', readdirSync(dir).map((f) => join(dir, f)));
    await page.waitForSelector('body[data-verdict=pass], body[data-verdict=fail]', { timeout: 30_000 });
    const verdict = await page.getAttribute('body', 'data-verdict');
    const text = await page.innerText('body');
    await page.close();
    assert.deepEqual(requests.filter((u) => !u.startsWith('file:')), [], 'no network requests');
    return { verdict, text };
  }

  it('good_export_is_verified_via_the_folder_picker', async () => {
    const r = await check(good);
    assert.equal(r.verdict, 'pass', r.text);
    assert.match(r.text, /VERIFIED: every check passed/);
    assert.match(r.text, /consistency: 300 → 341/);
  });

  it('good_export_is_verified_with_the_embedded_ed25519_and_the_file_list_input', async () => {
    const r = await check(good, { query: '?js-ed25519', input: 'files' });
    assert.equal(r.verdict, 'pass', r.text);
  });

  it('tampered_export_is_rejected_with_the_failures_listed', async () => {
    const r = await check(bad);
    assert.equal(r.verdict, 'fail', r.text);
    assert.match(r.text, /NOT VERIFIED/);
    assert.match(r.text, /FAILED — tree root/);
    assert.match(r.text, /FAILED — chain: seq 151/);
  });
});
