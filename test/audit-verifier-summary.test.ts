import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createAuditLog, exportAudit } from '../src/audit/index.ts';
import { createNoteSigner, verifyEd25519 } from '../src/crypto/signing.ts';
import { openIndex } from '../src/store/index.ts';

// Issue 15 item 6: the auditor reads the verdict first, then the first failure in plain
// words, then how much else fails, not hundreds of FAIL lines for one deleted entry. Real
// exports of a real log (600 entries, over 1 MiB, so verify.mjs judges them in worker
// threads), tampered as someone on the box could: one line deleted, one line changed, both.

const N = 600;
const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
let full: string;
const readLines = (dir: string) => readFileSync(join(dir, 'entries.jsonl'), 'utf8').split('\n').slice(0, -1);
function tampered(edit: (lines: string[]) => string[]): string {
  const d = join(tmp('tresor-summary-'), 'export');
  cpSync(full, d, { recursive: true });
  writeFileSync(join(d, 'entries.jsonl'), edit(readLines(d)).map((l) => `${l}\n`).join(''));
  return d;
}
const deleted = (n: number) => (l: string[]) => l.filter((_, i) => i !== n);
const changed = (n: number) => (l: string[]) => l.map((x, i) => (i === n ? x.replace(`"R${n}"`, `"R${n}x"`) : x));
function verifyMjs(dir: string): string[] {
  const r = spawnSync(process.execPath, [join(dir, 'verify.mjs')], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  return r.stdout.split('\n');
}

// The same core.js, as verify.html runs it: no worker threads, no line-bytes fast path.
const core = readFileSync(new URL('../src/audit/verifier/core.js', import.meta.url), 'utf8');
const { tresorVerify } = new Function(`${core}\nreturn { tresorVerify };`)() as {
  tresorVerify: (files: Record<string, Uint8Array>, env: object, yours: object) => Promise<{ verdict: string; headline: string; first?: string; rest?: string | null }>;
};
const h = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const browserEnv = { sha256Many: (l: Uint8Array[]) => l.map(h), ed25519: (p: Uint8Array, m: Uint8Array, s: Uint8Array) => verifyEd25519(p, m, s) };
async function reference(dir: string) {
  const files: Record<string, Uint8Array> = {};
  for (const f of ['entries.jsonl', 'checkpoint', 'log.vkey', 'frontier.json', 'previous-checkpoint', 'consistency.json']) if (existsSync(join(dir, f))) files[f] = new Uint8Array(readFileSync(join(dir, f)));
  return tresorVerify(files, browserEnv, {});
}

before(async () => {
  const store = openIndex(tmp('tresor-summary-db-'));
  const signer = createNoteSigner('test.tresor/summary', new Uint8Array(32).fill(6));
  const log = createAuditLog(store, { signer, origin: signer.name });
  // ~2 KiB per entry: the export is over 1 MiB, where verify.mjs starts its worker threads
  for (let k = 0; k < N; k += 100) {
    await log.append(Array.from({ length: 100 }, (_, i) => ({ actor: 'user:a', action: 'recording.played', target: `R${k + i}`, detail: { pad: 'p'.repeat(2000) } })));
  }
  full = join(tmp('tresor-summary-'), 'export');
  await exportAudit(log, full);
  await store.close();
  assert.ok(statSync(join(full, 'entries.jsonl')).size > 1 << 20);
});
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('verify.mjs says the verdict, the first failure, and how much else fails', () => {
  it('one deleted line: the missing entry, then a count of those that follow it', async () => {
    const d = tampered(deleted(123));
    const out = verifyMjs(d);
    assert.equal(out[0], 'NOT VERIFIED');
    assert.equal(out[1], 'first failure: entry 123 is missing: removed or moved after it was written (line 124 holds entry 124, where entry 123 belongs)');
    // lines 124…599 now hold entries 124…599 in the wrong place: 476 failing entries, the first and 475 more
    assert.match(out[2]!, /^ {6}and 475 further entries fail because they follow it; the checks size, tree root fail as a consequence/);
    // the details stay, bounded: 12 per check and a count, not one line per entry
    const fails = out.filter((l) => l.startsWith('FAIL'));
    assert.ok(fails.length < 40, `${fails.length} FAIL lines`);
    assert.ok(out.some((l) => /^FAIL {2}seq: … and \d+ more$/.test(l)));
    const ref = await reference(d);
    assert.deepEqual([ref.headline, ref.first, ref.rest], [out[0], out[1]!.replace('first failure: ', ''), out[2]!.trim()], 'verify.html says the same');
  });

  it('one changed line: the changed entry, no further entries, the tree root as a consequence', async () => {
    const d = tampered(changed(300));
    const out = verifyMjs(d);
    assert.equal(out[0], 'NOT VERIFIED');
    assert.equal(out[1], 'first failure: entry 300 was changed after it was written: entry 301, written after it, records a different SHA-256 of it');
    assert.match(out[2]!, /^ {6}no further entries fail; the check tree root fails as a consequence/);
    const ref = await reference(d);
    assert.equal(ref.first, out[1]!.replace('first failure: ', ''));
  });

  it('a changed line, then a deleted one: the first is named, the deleted one explains the count', async () => {
    const d = tampered((l) => deleted(123)(changed(40)(l)));
    const out = verifyMjs(d);
    assert.equal(out[0], 'NOT VERIFIED');
    assert.match(out[1]!, /^first failure: entry 40 was changed after it was written/);
    assert.match(out[2]!, /^ {6}and 476 further entries fail: entry 123 is missing: .*, and the 475 entries after it fail because they follow it; the checks size, tree root fail/);
  });

  it('the last line changed: no link breaks, the tree root names it in plain words', async () => {
    const d = tampered(changed(N - 1));
    const out = verifyMjs(d);
    assert.equal(out[0], 'NOT VERIFIED');
    assert.match(out[1]!, new RegExp(`^first failure: the entries are not the ones the checkpoint was signed for: every link between them holds, so the last entry \\(${N - 1}\\) was changed`));
  });

  it('the end cut off: the missing entries in plain words', async () => {
    const d = tampered((l) => l.slice(0, N - 5));
    const out = verifyMjs(d);
    assert.equal(out[1], `first failure: entries ${N - 5}…${N - 1} are missing: the end of the log was cut off after the checkpoint was signed`);
  });
});

const CHROMIUM = '/usr/bin/chromium';
describe('verify.html shows the same summary under the verdict', { skip: existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}` }, () => {
  it('one deleted line in the browser: verdict, first failure, count, then the list', async () => {
    const d = tampered(deleted(123));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await page.goto(pathToFileURL(join(d, 'verify.html')).href);
      await page.setInputFiles('#files', readdirSync(d).map((f) => join(d, f)));
      await page.waitForSelector('body[data-verdict=fail]', { timeout: 60_000 });
      const text = await page.innerText('body');
      const at = (s: string) => text.indexOf(s);
      assert.ok(at('NOT VERIFIED.') > 0, text);
      assert.ok(at('First failure: entry 123 is missing: removed or moved after it was written') > at('NOT VERIFIED.'));
      assert.ok(at('And 475 further entries fail because they follow it') > at('First failure:'));
      assert.ok(at('FAILED — seq') > at('And 475 further'), 'the details come after the summary');
    } finally {
      await browser.close();
    }
  });
});
