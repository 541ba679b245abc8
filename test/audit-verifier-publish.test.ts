import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuditLog, exportAudit, verifierDigests, verifierFiles, writeVerifier, type AuditLog } from '../src/audit/index.ts';
import { createNoteSigner } from '../src/crypto/signing.ts';
import { openIndex, type IndexStore } from '../src/store/index.ts';
import { cli, ROOT, testConfig } from './helpers/site.ts';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';

// Issue 16 #8: the verifier travelled inside what it verifies. Whoever controls the box
// can put a verify.mjs into an export that prints VERIFIED whatever the entries say. The
// fix is not in the export (the box writes all of it) but beside it: the verifier is
// published on its own, with its SHA-256, and the auditor runs the copy they kept.

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tresor-verifier-'));
  dirs.push(d);
  return d;
};
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const run = (script: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', cwd: tmpdir() });
  return { code: r.status, out: r.stdout + r.stderr };
};

let store: IndexStore;
let log: AuditLog;
let good: string;

before(async () => {
  store = openIndex(tempDir());
  const signer = createNoteSigner('test.tresor/publish', new Uint8Array(32).fill(3));
  log = createAuditLog(store, { signer, origin: signer.name });
  await log.append(Array.from({ length: 40 }, (_, i) => ({ actor: 'user:sue', action: 'recording.played', target: `recording:R${i}`, detail: {} })));
  good = join(tempDir(), 'export');
  await exportAudit(log, good);
});
after(async () => {
  await store.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('the verifier is published apart from the exports it checks', () => {
  it('a_replaced_verify_mjs_in_an_export_says_verified_but_the_auditors_own_copy_refuses_the_export', () => {
    // The attack: an entry is edited (who listened to R7 is hidden) and the export's
    // verifier is swapped for one that always agrees.
    const evil = join(tempDir(), 'export');
    cpSync(good, evil, { recursive: true });
    const entries = join(evil, 'entries.jsonl');
    writeFileSync(entries, readFileSync(entries, 'utf8').replace('"recording:R7"', '"recording:R8"'));
    writeFileSync(join(evil, 'verify.mjs'), "console.log('VERIFIED: every check passed for all 40 entries (0…39)'); process.exit(0);\n");
    const fooled = run(join(evil, 'verify.mjs'));
    assert.equal(fooled.code, 0, 'the swapped verifier says yes: running the export\'s copy proves nothing');

    // The auditor saved the verifier once, apart from any export, and runs that copy.
    const mine = writeVerifier(tempDir());
    const own = run(join(mine.dir, 'verify.mjs'), evil);
    assert.equal(own.code, 1, own.out);
    assert.match(own.out, /^NOT VERIFIED/);
    assert.match(own.out, /FAIL {2}tree root/);
    assert.doesNotMatch(own.out, /NOTE {2}you are running the verify\.mjs that came inside this export/, 'their own copy is not inside the export');

    // The swap also shows in the hashes: the auditor's copy matches the published SHA-256
    // (printed in README.txt and by `tresor audit verifier`); the export's copy does not.
    const published = verifierDigests();
    assert.equal(sha256(readFileSync(join(mine.dir, 'verify.mjs'))), published['verify.mjs']);
    assert.equal(sha256(readFileSync(join(mine.dir, 'verify.html'))), published['verify.html']);
    assert.notEqual(sha256(readFileSync(join(evil, 'verify.mjs'))), published['verify.mjs']);
  });

  it('every_export_readme_prints_the_verifiers_sha256_and_tells_the_auditor_to_use_their_own_copy', () => {
    const readme = readFileSync(join(good, 'README.txt'), 'utf8');
    const d = verifierDigests();
    assert.ok(readme.includes(`verify.mjs   SHA-256 ${d['verify.mjs']}`), readme);
    assert.ok(readme.includes(`verify.html  SHA-256 ${d['verify.html']}`));
    assert.match(readme, /Use your own verifier, not the one in this folder/);
    assert.match(readme, /node YOUR\/verify\.mjs THIS_FOLDER --checkpoint YOUR_CHECKPOINT --vkey YOUR_LOG_VKEY/);
    // the export's own copies are the genuine ones of this version
    assert.equal(sha256(readFileSync(join(good, 'verify.mjs'))), d['verify.mjs']);
    assert.equal(sha256(readFileSync(join(good, 'verify.html'))), d['verify.html']);
  });

  it('the_copy_inside_an_export_warns_that_it_came_from_the_box', () => {
    const r = run(join(good, 'verify.mjs'));
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /NOTE {2}you are running the verify\.mjs that came inside this export/);
    assert.match(r.out, new RegExp(`this verifier: .*SHA-256 ${verifierDigests()['verify.mjs']}`));
  });

  it('the_readme_publishes_the_sha256_of_this_versions_verifier', () => {
    // The project README is published off the box (repository, release notes): the anchor
    // an auditor compares a saved copy with. It must name this version's files.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const d = verifierDigests();
    assert.ok(readme.includes(d['verify.mjs']) && readme.includes(d['verify.html']),
      `README.md must publish the verifier's SHA-256 (run: npx tsx scripts/verifier-sha256.ts --readme):\n  verify.mjs   ${d['verify.mjs']}\n  verify.html  ${d['verify.html']}`);
  });

  it('tresor_audit_verifier_writes_the_verifier_and_prints_its_sha256_and_that_copy_verifies_an_export', async () => {
    const c = testConfig();
    const out = join(tempDir(), 'kept');
    const r = await cli(c, ['audit', 'verifier', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const d = verifierDigests();
    assert.ok(r.stdout.includes(`${d['verify.mjs']}  ${out}/verify.mjs`), r.stdout);
    assert.ok(r.stdout.includes(`${d['verify.html']}  ${out}/verify.html`), r.stdout);
    assert.equal(readFileSync(join(out, 'verify.mjs'), 'utf8'), verifierFiles()['verify.mjs']);
    const exp = join(tempDir(), 'export');
    assert.equal((await cli(c, ['init'])).code, 0);
    assert.equal((await cli(c, ['audit', 'export', '--out', exp])).code, 0);
    const v = run(join(out, 'verify.mjs'), exp);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /^VERIFIED: every check passed/);
    assert.equal((await cli(c, ['audit', 'verifier'])).code, 2, '--out is required');
  });
});

describe('the console offers the verifier for download', () => {
  let w: WebSite;
  before(async () => {
    w = await webSite();
    await makeUser(w, 'audrey', ['auditor']);
    await makeUser(w, 'sam', ['supervisor']);
  });
  after(() => w.close());

  it('an_auditor_downloads_both_files_byte_identical_and_sees_their_sha256_on_the_log_page', async () => {
    const b = browser(w);
    await b.login('audrey');
    const page = await (await b.get('/log')).text();
    const d = verifierDigests();
    assert.ok(page.includes(d['verify.mjs']) && page.includes(d['verify.html']), 'the log page shows both SHA-256');
    assert.ok(page.includes('href="/log/verifier/verify.mjs"') && page.includes('href="/log/verifier/verify.html"'));
    for (const name of ['verify.mjs', 'verify.html'] as const) {
      const res = await b.get(`/log/verifier/${name}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('Content-Disposition'), `attachment; filename="${name}"`);
      assert.equal(sha256(Buffer.from(await res.arrayBuffer())), d[name]);
    }
    assert.equal((await b.get('/log/verifier/core.js')).status, 404);
  });

  it('a_supervisor_without_log_read_gets_no_verifier_page', async () => {
    const b = browser(w);
    await b.login('sam');
    assert.equal((await b.get('/log/verifier/verify.mjs')).status, 403);
  });
});
