import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { webSite, type WebSite } from './helpers/web.ts';
import { cli, ROOT } from './helpers/site.ts';
import { buildBundle, BUNDLE_EXPORTED, type BundleResult } from '../src/privacy/index.ts';
import { decide } from '../src/approvals/index.ts';
import { addHold } from '../src/retention/holds.ts';
import { parseCheckpoint } from '../src/audit/index.ts';
import { verifyNote } from '../src/crypto/signing.ts';
import { createCosigner } from '../src/crypto/cosigner.ts';
import { leafHash, verifyInclusion } from './fixtures/rfc9162-verify.ts';

// Issue 13 item 5, evidence bundles, on a real archive (real ffmpeg ingest): every file
// matches the manifest; every inclusion proof (each call's ingest entry, the export entry)
// verifies under the signed checkpoint with the independent RFC 9162 verifier; each call
// was logged as exported before the export entry; the bundled verifier accepts the bundle
// and rejects a tampered one; the password ZIP opens in 7-Zip with the printed password and
// not with another; more than audit.bundleApprovalOver calls need a second person.

const has7z = spawnSync('7z', ['i'], { stdio: 'ignore' }).status === 0;
const hasPdftotext = spawnSync('pdftotext', ['-v']).error === undefined;
const DAY = 86_400_000;
const CALLER = '015120000077';
function name(daysAgo: number, n: number): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${CALLER}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642566${p(n)}.${n}.wav`;
}

/** A child process, without blocking the event loop (the site is open in this process). */
function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b) => (out += b));
    c.stderr.on('data', (b) => (out += b));
    c.on('close', (code) => res({ code, out }));
  });
}
/** node verify-bundle.mjs DIR */
const runVerifier = (dir: string) => run(process.execPath, [join(dir, 'verify-bundle.mjs'), dir]);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('evidence bundle', () => {
  let w: WebSite;
  const ids: string[] = [];
  const dora = { kind: 'user' as const, name: 'dora', actor: 'user:dora', roles: ['dpo' as const, 'supervisor' as const] };
  const deps = () => ({ store: w.site.store, log: w.site.log, access: w.access });
  before(async () => {
    w = await webSite((c) => { c.audit.bundleApprovalOver = 2; });
    for (let i = 1; i <= 3; i++) ids.push(await w.ingestCall(name(i, i), { seconds: 2, source: 'noise' }));
    ids.sort();
  });
  after(() => w?.close());

  let built: { out: string; res: BundleResult; before: number };
  it('builds a folder whose files match the manifest and whose proofs verify under the checkpoint', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'case');
    const before = w.site.log.size();
    const res = await buildBundle(deps(), dora, { ids: [ids[1]!, ids[0]!] }, { out, caseRef: 'AZ 3 O 17/26', recipient: 'Landgericht Berlin', lang: 'de', approvalOver: 2 });
    built = { out, res, before };
    assert.deepEqual(res.calls, [ids[0], ids[1]]);
    for (const f of ['calls.json', 'calls.csv', 'log-slice.jsonl', 'manifest.json', 'checkpoint', 'inclusion.json', 'cover-sheet.html', 'cover-sheet.pdf',
      'verify-bundle.mjs', 'README.txt', 'log-verifier/verify.mjs', 'log-verifier/verify.html', `calls/${ids[0]}.ogg`, `calls/${ids[1]}.json`]) {
      assert.ok(existsSync(join(out, f)), f);
    }
    const manifestBytes = readFileSync(join(out, 'manifest.json'));
    const m = JSON.parse(manifestBytes.toString()) as { case: string; calls: { id: string; audio: string }[]; files: { path: string; sha256: string; bytes: number }[] };
    assert.equal(m.case, 'AZ 3 O 17/26');
    assert.deepEqual(m.calls.map((c) => c.id), [ids[0], ids[1]]);
    for (const f of m.files) {
      const b = readFileSync(join(out, f.path));
      assert.equal(sha(b), f.sha256, f.path);
      assert.equal(b.length, f.bytes, f.path);
    }
    const meta = JSON.parse(readFileSync(join(out, 'calls.json'), 'utf8')) as { id: string; from: string }[];
    assert.match(meta[0]!.from, /20000077/, 'the court gets the numbers');

    // the proofs, checked by the independent RFC 9162 transcription
    const inc = JSON.parse(readFileSync(join(out, 'inclusion.json'), 'utf8')) as { vkey: string; treeSize: number; exportSeq: number; proofs: { seq: number; entry: string; proof: string[] }[] };
    const opened = verifyNote(readFileSync(join(out, 'checkpoint'), 'utf8'), inc.vkey);
    assert.equal(opened.ok, true);
    const cp = parseCheckpoint((opened as { text: string }).text);
    assert.equal(cp.size, inc.treeSize);
    assert.equal(inc.vkey, w.site.log.vkey);
    for (const p of inc.proofs) {
      assert.ok(verifyInclusion(BigInt(p.seq), BigInt(inc.treeSize), leafHash(Buffer.from(p.entry)), p.proof.map((h) => Buffer.from(h, 'hex')), cp.root), `entry ${p.seq}`);
    }
    const proven = inc.proofs.map((p) => JSON.parse(p.entry) as { seq: number; action: string; target: string; detail: Record<string, unknown> });
    for (const id of res.calls) assert.ok(proven.some((e) => e.action === 'recording.ingested' && e.target === `recording:${id}`), `ingest entry of ${id} proven`);
    const exp = proven.find((e) => e.seq === inc.exportSeq)!;
    assert.equal(exp.action, BUNDLE_EXPORTED);
    assert.deepEqual(exp.detail, { caseRef: 'AZ 3 O 17/26', calls: 2, manifestSha256: sha(manifestBytes), protection: 'none' });
    assert.doesNotMatch(JSON.stringify(exp), /20000077|Landgericht/);

    // exporting is a logged access: each call's recording.exported comes before the export entry
    const entries = w.site.log.entries(before, w.site.log.size());
    const at = entries.findIndex((e) => e.action === BUNDLE_EXPORTED);
    assert.equal(entries[at]!.seq, inc.exportSeq);
    for (const id of res.calls) assert.ok(entries.slice(0, at).some((e) => e.action === 'recording.exported' && e.target === `recording:${id}` && e.actor === 'user:dora'), id);
    // the slice holds those accesses too, and nothing about the third call
    const slice = readFileSync(join(out, 'log-slice.jsonl'), 'utf8');
    assert.match(slice, new RegExp(`"action":"recording.exported","target":"recording:${ids[0]}"`));
    assert.doesNotMatch(slice, new RegExp(ids[2]!));
    if (hasPdftotext) {
      const text = spawnSync('pdftotext', [join(out, 'cover-sheet.pdf'), '-'], { encoding: 'utf8' }).stdout;
      assert.match(text, /Beweismittelpaket/);
      assert.match(text, /AZ 3 O 17\/26/);
      assert.match(text, /Landgericht Berlin/);
    }
  });

  it('the bundled verifier accepts the bundle and rejects tampered copies', async () => {
    const good = await runVerifier(built.out);
    assert.equal(good.code, 0, good.out);
    assert.match(good.out, /^VERIFIED$/m);
    assert.match(good.out, /2 call\(s\), each with a proven ingest entry/);

    // one byte of one call's audio changed
    const a = join(mkdtempSync(join(tmpdir(), 'bundle-t-')), 'x');
    cpSync(built.out, a, { recursive: true });
    const audio = join(a, `calls/${built.res.calls[0]}.ogg`);
    const b = readFileSync(audio);
    b[b.length - 10] = b[b.length - 10]! ^ 1;
    writeFileSync(audio, b);
    const r1 = await runVerifier(a);
    assert.equal(r1.code, 1, r1.out);
    assert.match(r1.out, new RegExp(`FAIL  files: calls/${built.res.calls[0]}.ogg does not match manifest.json`));

    // the manifest rewritten to match the changed audio: the export entry no longer names it
    const m = JSON.parse(readFileSync(join(a, 'manifest.json'), 'utf8')) as { files: { path: string; sha256: string }[] };
    m.files.find((f) => f.path === `calls/${built.res.calls[0]}.ogg`)!.sha256 = sha(b);
    writeFileSync(join(a, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    const r2 = await runVerifier(a);
    assert.equal(r2.code, 1, r2.out);
    assert.match(r2.out, /FAIL  export entry: the export entry names a different manifest\.json/);

    // an entry of the slice edited inside inclusion.json: its proof fails
    const c = join(mkdtempSync(join(tmpdir(), 'bundle-t-')), 'y');
    cpSync(built.out, c, { recursive: true });
    const inc = JSON.parse(readFileSync(join(c, 'inclusion.json'), 'utf8')) as { proofs: { entry: string }[] };
    inc.proofs[0]!.entry = inc.proofs[0]!.entry.replace('"recording.ingested"', '"recording.ingestex"');
    writeFileSync(join(c, 'inclusion.json'), JSON.stringify(inc));
    const r3 = await runVerifier(c);
    assert.equal(r3.code, 1, r3.out);
    assert.match(r3.out, /FAIL  inclusion: entry \d+ is not in the log under the checkpoint/);
  });

  it('with a witness policy, the bundled verifier checks the cosignatures of the checkpoint: quorum 1 passes, quorum 2 and a tampered line fail', async () => {
    // A witness cosigns the bundle's checkpoint (C2SP tlog-cosignature/v1, its own key); the
    // box stores the line with that checkpoint as \`audit cosign-import\` does, and the bundle
    // carries the stored note (the checkpoint file is outside the manifest for this reason).
    const witness = createCosigner('witness.test/bundle-w1', new Uint8Array(32).fill(21));
    const other = createCosigner('witness.test/bundle-w2', new Uint8Array(32).fill(22));
    const note = readFileSync(join(built.out, 'checkpoint'), 'utf8');
    const body = note.slice(0, note.indexOf('\n\n') + 1);
    assert.equal(await w.site.log.addCosignatures(built.res.checkpointSize, [witness.cosign(body, Math.floor(Date.now() / 1000)).trimEnd()]), 1);
    const stored = w.site.store.checkpoints.get(built.res.checkpointSize)!;
    assert.match(stored, /\n\u2014 witness\.test\/bundle-w1 /);
    const d = join(mkdtempSync(join(tmpdir(), 'bundle-w-')), 'x');
    cpSync(built.out, d, { recursive: true });
    writeFileSync(join(d, 'checkpoint'), stored);
    const policies = mkdtempSync(join(tmpdir(), 'policy-'));
    const policy = (name: string, text: string) => {
      writeFileSync(join(policies, name), text);
      return join(policies, name);
    };
    const verifyWith = (dir: string, p: string) => run(process.execPath, [join(dir, 'verify-bundle.mjs'), dir, '--policy', p]);

    // without a policy: the lines are listed, not trusted
    const plain = await runVerifier(d);
    assert.equal(plain.code, 0, plain.out);
    assert.match(plain.out, /cosignatures in the checkpoint: witness\.test\/bundle-w1\+[0-9a-f]{8}\n {6}not checked: give your witness policy/);

    const one = await verifyWith(d, policy('one', `# ours\nwitness ${witness.vkey}\nquorum 1\n`));
    assert.equal(one.code, 0, one.out);
    assert.match(one.out, /^ok {4}policy: 1 witness\(es\), quorum 1$/m);
    assert.match(one.out, /^ok {4}witnesses: 1 of 1 cosigned \(quorum 1\): witness\.test\/bundle-w1 at \d{4}-/m);
    assert.match(one.out, /checked against your policy: 1 of 1/);
    assert.match(one.out, /^VERIFIED$/m);

    // quorum 2 of two named witnesses, one of whom never cosigned
    const two = await verifyWith(d, policy('two', `witness ${witness.vkey}\nwitness ${other.vkey}\nquorum 2\n`));
    assert.equal(two.code, 1, two.out);
    assert.match(two.out, /FAIL {2}witnesses: cosigned by 1 of the 2 witnesses in your policy, 2 required \(witness\.test\/bundle-w1 at /);
    assert.match(two.out, /^NOT VERIFIED: 1 problem\(s\)$/m);

    // one byte of the cosignature's Ed25519 signature flipped
    const t = join(mkdtempSync(join(tmpdir(), 'bundle-w-')), 'y');
    cpSync(d, t, { recursive: true });
    const lines = stored.split('\n');
    const i = lines.findIndex((l) => l.startsWith('\u2014 witness.test/bundle-w1 '));
    const raw = Buffer.from(lines[i]!.split(' ')[2]!, 'base64');
    raw[raw.length - 1] = raw[raw.length - 1]! ^ 1;
    lines[i] = `\u2014 witness.test/bundle-w1 ${raw.toString('base64')}`;
    writeFileSync(join(t, 'checkpoint'), lines.join('\n'));
    const bad = await verifyWith(t, join(policies, 'one'));
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /FAIL {2}witnesses: the cosignature by witness\.test\/bundle-w1 does not verify/);
    assert.match(bad.out, /FAIL {2}witnesses: cosigned by 0 of the 1 witnesses in your policy, 1 required/);
    // the log's own signature is untouched: only the witness check fails
    assert.match(bad.out, /^ok {4}signature: checkpoint of size \d+ signed by /m);

    // a policy that is not one: refused as such
    const junk = await verifyWith(d, policy('junk', 'witnesses all of them\n'));
    assert.equal(junk.code, 1, junk.out);
    assert.match(junk.out, /FAIL {2}policy: policy line 1 is neither "witness VKEY" nor "quorum N"/);
  });

  it('a legal hold and a saved search select their calls', async () => {
    const h = await addHold(w.site.store, w.site.log, 'user:dora', { caseName: 'Streit Kunde 4711', reason: 'Klage angekündigt', ids: [ids[2]!] });
    const out = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'hold');
    const res = await buildBundle(deps(), dora, { holdId: h.id }, { out, caseRef: 'Kunde 4711', approvalOver: 2 });
    assert.deepEqual(res.calls, [ids[2]]);
    assert.equal((await runVerifier(out)).code, 0);
    // a saved search goes through the door (logged as recording.searched, tokens only)
    const before = w.site.log.size();
    const q = await buildBundle(deps(), dora, { query: { number: `+49${CALLER.slice(1)}` } }, { out: join(out, '..', 'query'), caseRef: 'Kunde 4711', approvalOver: 5 });
    assert.deepEqual(q.calls, ids);
    const searched = w.site.log.entries(before, w.site.log.size()).find((e) => e.action === 'recording.searched')!;
    assert.ok(searched, 'the search is logged');
    assert.doesNotMatch(JSON.stringify(searched), /20000077/);
  });

  it('the CLI writes an AES ZIP that opens with the printed password only', { skip: has7z ? false : '7z (p7zip-full) is not installed' }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'zip');
    const x = await cli(w.config, ['audit', 'bundle', '--ids', `${ids[0]},${ids[2]}`, '--case', 'AZ 9/26', '--out', out, '--password']);
    assert.equal(x.code, 0, x.stderr);
    const pw = /password \(shown once[^:]*: (\S+)$/m.exec(x.stdout)?.[1];
    assert.ok(pw && pw.length === 20, x.stdout);
    assert.match(x.stdout, /^2 call\(s\); export entry \d+ under checkpoint \d+$/m);
    assert.deepEqual(readdirSync(out), ['evidence-bundle.zip'], 'no plaintext left next to the ZIP');
    const zip = join(out, 'evidence-bundle.zip');
    const bad = spawnSync('7z', ['x', '-pwrong-password', `-o${join(out, 'bad')}`, zip], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0, bad.stdout);
    const into = join(out, 'open');
    const okx = spawnSync('7z', ['x', `-p${pw}`, `-o${into}`, zip], { encoding: 'utf8' });
    assert.equal(okx.status, 0, okx.stdout + okx.stderr);
    assert.match(spawnSync('7z', ['l', '-slt', `-p${pw}`, zip], { encoding: 'utf8' }).stdout, /Method = AES-256 Store/);
    const v = await runVerifier(into);
    assert.equal(v.code, 0, v.out);
    const exp = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === BUNDLE_EXPORTED).at(-1)!;
    assert.equal(exp.detail.protection, 'password');
    assert.doesNotMatch(JSON.stringify(w.site.log.entries(0, w.site.log.size())), new RegExp(pw), 'the password is logged nowhere');
  });

  it('sealed to a recipient key: only that key opens it, with the tool in the folder', { skip: has7z ? false : '7z (p7zip-full) is not installed' }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'sealed');
    // the recipient makes a key with the bundled tool on their own machine; here: a copy of it
    const theirs = mkdtempSync(join(tmpdir(), 'recipient-'));
    cpSync(join(ROOT, 'src/crypto/open-bundle.js'), join(theirs, 'open-bundle.mjs'));
    cpSync(join(ROOT, 'node_modules/tweetnacl/nacl-fast.js'), join(theirs, 'nacl-fast.cjs'));
    const kg = await run(process.execPath, [join(theirs, 'open-bundle.mjs'), '--keygen', join(theirs, 'my.key')]);
    assert.equal(kg.code, 0, kg.out);
    const pub = kg.out.trim();
    assert.match(pub, /^[0-9a-f]{64}$/);
    const x = await cli(w.config, ['audit', 'bundle', '--ids', ids[1]!, '--case', 'Kunde 4711', '--out', out, '--recipient-key', pub]);
    assert.equal(x.code, 0, x.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['evidence-bundle.tresorbox', 'nacl-fast.cjs', 'open-bundle.mjs']);
    const box = join(out, 'evidence-bundle.tresorbox');
    assert.doesNotMatch(readFileSync(box).toString('latin1'), /manifest\.json|PK\x03\x04/, 'nothing readable inside');

    // another key: refused; a cut file: refused; the right key: a ZIP that verifies
    const other = await run(process.execPath, [join(out, 'open-bundle.mjs'), '--keygen', join(theirs, 'other.key')]);
    assert.equal(other.code, 0);
    const wrong = await run(process.execPath, [join(out, 'open-bundle.mjs'), box, '--key', join(theirs, 'other.key'), '--out', join(theirs, 'w.zip')]);
    assert.equal(wrong.code, 1, wrong.out);
    assert.match(wrong.out, /wrong key/);
    const cut = join(theirs, 'cut.tresorbox');
    writeFileSync(cut, readFileSync(box).subarray(0, -100));
    assert.equal((await run(process.execPath, [join(out, 'open-bundle.mjs'), cut, '--key', join(theirs, 'my.key'), '--out', join(theirs, 'c.zip')])).code, 1);
    const opened = await run(process.execPath, [join(out, 'open-bundle.mjs'), box, '--key', join(theirs, 'my.key'), '--out', join(theirs, 'b.zip')]);
    assert.equal(opened.code, 0, opened.out);
    const into = join(theirs, 'b');
    assert.equal(spawnSync('7z', ['x', `-o${into}`, join(theirs, 'b.zip')], { encoding: 'utf8' }).status, 0);
    const v = await runVerifier(into);
    assert.equal(v.code, 0, v.out);
    const exp = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === BUNDLE_EXPORTED).at(-1)!;
    assert.equal(exp.detail.protection, 'recipient-key');
  });

  it('more than audit.bundleApprovalOver calls need a second person, once', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'bundle-')), 'big');
    const before = w.site.log.size();
    const err = await buildBundle(deps(), dora, { ids }, { out, caseRef: 'AZ 1/26', approvalOver: 2 }).then(() => null, (e: Error & { code?: string; detail?: { approval?: string } }) => e);
    assert.ok(err, 'refused');
    assert.equal(err.code, 'E_NEEDS_APPROVAL');
    assert.match(err.message, /3 calls is more than audit\.bundleApprovalOver \(2\)/);
    const approval = err.detail!.approval!;
    assert.equal(existsSync(out), false, 'nothing written');
    const added = w.site.log.entries(before, w.site.log.size());
    assert.ok(!added.some((e) => e.action === 'recording.exported' || e.action === BUNDLE_EXPORTED), 'no call was opened');

    // not approved yet; dora cannot approve her own request
    await assert.rejects(buildBundle(deps(), dora, { ids }, { out, caseRef: 'AZ 1/26', approvalOver: 2, approval }), /not approved yet/);
    await assert.rejects(decide(w.site.store, w.site.log, approval, { by: 'user:dora', person: 'dora', roles: ['dpo'], approve: true }), /four-eyes/);
    const row = await decide(w.site.store, w.site.log, approval, { by: 'user:anna', person: 'anna', roles: ['admin'], approve: true });
    const { approvalRegistry } = await import('../src/site/approvals.ts');
    const done = await approvalRegistry(w.site, w.config).execute(w.site.store, row, 'user:anna');
    assert.equal(done.row.state, 'done');

    // other calls than approved: refused; the approved ones: built, once
    await assert.rejects(buildBundle(deps(), dora, { ids: ids.slice(0, 2) }, { out, caseRef: 'AZ 1/26', approvalOver: 1, approval }), /given for other calls/);
    const res = await buildBundle(deps(), dora, { ids }, { out, caseRef: 'AZ 1/26', approvalOver: 2, approval });
    assert.equal(res.calls.length, 3);
    assert.equal(w.site.log.entries(res.exportSeq, res.exportSeq + 1)[0]!.detail.approval, approval);
    assert.equal((await runVerifier(out)).code, 0);
    await assert.rejects(buildBundle(deps(), dora, { ids }, { out: join(out, '..', 'again'), caseRef: 'AZ 1/26', approvalOver: 2, approval }), /used for a bundle already/);
  });

  it('the CLI refuses an unprotected bundle inside the data directory (nothing would ever remove its decrypted calls)', async () => {
    const inside = join(w.config.dataDir, 'exports', 'case');
    const x = await cli(w.config, ['audit', 'bundle', '--ids', ids[0]!, '--case', 'AZ 5/26', '--out', inside]);
    assert.equal(x.code, 2, x.stdout + x.stderr); // E_INVALID
    assert.match(x.stderr, /inside the data directory: an unprotected bundle holds decrypted calls/);
    assert.equal(existsSync(inside), false, 'nothing written');
  });

  it('the CLI refuses over the limit with the setting named', async () => {
    const x = await cli(w.config, ['audit', 'bundle', '--ids', ids.join(','), '--case', 'AZ 2/26', '--out', join(mkdtempSync(join(tmpdir(), 'bundle-')), 'c')]);
    assert.equal(x.code, 1, x.stdout + x.stderr);
    assert.match(x.stderr, /more than audit\.bundleApprovalOver \(2\): four-eyes approval asked as \S+/);
  });
});
