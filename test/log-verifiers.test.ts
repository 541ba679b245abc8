// The log's verifiers under one vector suite (test/log-verifier.case.ts), and the Ed25519
// checks under the RFC 8032 edge cases. Three verifiers:
//  - the box: src/audit/tree-verify.ts, compact-range.ts, crypto/signing.ts (`tresor audit verify`);
//  - core.js as verify.mjs runs it: node's crypto for Ed25519;
//  - core.js as verify.html runs it without WebCrypto Ed25519: src/audit/verifier/ed25519.js.
// core.js is driven through tresorVerify, the one function both hosts call, with exports
// built from the vectors, so the suite checks what an auditor's copy actually does.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createCompactRange } from '../src/audit/compact-range.ts';
import { EMPTY_ROOT, equalHash, hashLeaf } from '../src/audit/hasher.ts';
import { verifyConsistency, verifyInclusion } from '../src/audit/tree-verify.ts';
import { verifierFiles } from '../src/audit/index.ts';
import { createNoteSigner, verifyEd25519, verifyNote } from '../src/crypto/signing.ts';
import { logVerifierSuite, nonCanonicalS, type LogVerifier } from './log-verifier.case.ts';

type Bytes = Uint8Array;
type Ed25519 = (pub: Bytes, msg: Bytes, sig: Bytes) => boolean | Promise<boolean>;
interface Check { name: string; ok: boolean; messages: string[] }
type TresorVerify = (files: Record<string, Bytes>, env: object, yours: object) => Promise<{ verdict: string; checks: Check[] }>;

const source = (name: string) => readFileSync(new URL(`../src/audit/verifier/${name}`, import.meta.url), 'utf8');
const { tresorVerify, tresorScanSegment } = new Function(`${source('core.js')}\nreturn { tresorVerify, tresorScanSegment };`)() as {
  tresorVerify: TresorVerify;
  tresorScanSegment: (bytes: Bytes, seg: object, sha256: (b: Bytes) => Bytes) => object;
};
const tresorEd = new Function(`${source('ed25519.js')}\nreturn tresorEd;`)() as (p: Bytes, m: Bytes, s: Bytes, h: (m: Bytes) => Promise<Bytes>) => Promise<boolean>;

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const hexOf = (b: Bytes) => Buffer.from(b).toString('hex');
const sha = (alg: string) => (b: Bytes) => new Uint8Array(createHash(alg).update(b).digest());

// As node-main.js (verify.mjs) does it: RFC 8410 SubjectPublicKeyInfo = this prefix ‖ raw key.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const nodeEd25519: Ed25519 = (pub, msg, sig) =>
  nodeVerify(null, msg, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' }), sig);
// As page.html does it without WebCrypto Ed25519.
const jsEd25519: Ed25519 = (pub, msg, sig) => tresorEd(pub, msg, sig, async (m) => sha('sha512')(m));

const box: LogVerifier = {
  name: 'the box (tree-verify.ts, compact-range.ts, signing.ts)',
  consistencyPolicy: 'strict',
  rootsFromCheckpoints: false,
  async rootOfLeaves(leaves, root) {
    const range = createCompactRange();
    for (const l of leaves) range.append(hashLeaf(l));
    return equalHash(range.root(), root);
  },
  async rootOfSubtrees(size, subtrees, root) {
    return equalHash(createCompactRange(size, subtrees).root(), root);
  },
  // sizes past 2^53 become unsafe numbers, which the checks refuse (they must not be rounded)
  consistency: async (s1, s2, proof, r1, r2) => verifyConsistency(Number(s1), Number(s2), proof, r1, r2),
  inclusion: async (leaf, i, n, proof, root) => verifyInclusion(leaf, Number(i), Number(n), proof, root),
  async signedNote(note, vkey) {
    try {
      return verifyNote(note, vkey).ok;
    } catch {
      return false; // a vkey it cannot parse
    }
  },
};

/**
 * core.js through tresorVerify: each question becomes an export (files as the hosts read
 * them) signed by a test key, and the answer is the verdict of the checks that question is
 * about. Exports built here hold no entries unless the question is about entries, so the
 * entry count and tree root checks of a consistency question fail by design and are not read.
 */
function coreVerifier(name: string, ed25519: Ed25519, fast = false): LogVerifier {
  const env = { sha256Many: (list: Bytes[]) => list.map(sha('sha256')), ed25519, ...(fast ? fastPath : {}) };
  const signer = createNoteSigner('vectors.example/log', new Uint8Array(32).fill(42));
  // written by hand, not by formatCheckpoint: the vectors hold sizes and roots it would refuse
  const checkpoint = (size: bigint, root: Bytes) => utf8(signer.sign(`${signer.name}\n${size}\n${Buffer.from(root).toString('base64')}\n`));
  const exportOf = (size: bigint, root: Bytes, more: Record<string, Bytes> = {}) =>
    ({ 'entries.jsonl': new Uint8Array(0), checkpoint: checkpoint(size, root), 'log.vkey': utf8(`${signer.vkey}\n`), ...more });
  const checks = async (files: Record<string, Bytes>) => new Map((await tresorVerify(files, env, {})).checks.map((c) => [c.name, c.ok]));
  return {
    name,
    consistencyPolicy: 'lenient',
    rootsFromCheckpoints: true,
    async rootOfLeaves(leaves, root) {
      // the leaves become the lines of entries.jsonl (not valid entries, but hashed as written)
      if (leaves.some((l) => l.includes(0x0a))) throw new Error('a leaf with a newline cannot be a line of entries.jsonl');
      const lines = Buffer.concat(leaves.flatMap((l) => [Buffer.from(l), Buffer.from('\n')]));
      return (await checks(exportOf(BigInt(leaves.length), root, { 'entries.jsonl': new Uint8Array(lines) }))).get('tree root') === true;
    },
    async rootOfSubtrees(size, subtrees, root) {
      const frontier = utf8(JSON.stringify({ start: size, hashes: subtrees.map(hexOf) }));
      return (await checks(exportOf(BigInt(size), root, { 'frontier.json': frontier }))).get('tree root') === true;
    },
    async consistency(s1, s2, proof, r1, r2) {
      const json = utf8(`{"old_size":${s1},"new_size":${s2},"hashes":${JSON.stringify(proof.map(hexOf))}}`);
      const c = await checks(exportOf(s2, r2, { 'previous-checkpoint': checkpoint(s1, r1), 'consistency.json': json }));
      const history = ['signature', 'checkpoint format', 'previous checkpoint signature', 'previous checkpoint format', 'rollback', 'split view'];
      return c.get('consistency') === true && history.every((n) => c.get(n) !== false);
    },
    inclusion: null,
    async signedNote(note, vkey) {
      // the note as the export's checkpoint: its text need not be a checkpoint for these two checks
      const c = await checks({ 'entries.jsonl': new Uint8Array(0), checkpoint: note, 'log.vkey': utf8(`${vkey}\n`) });
      return c.get('vkey') === true && c.get('signature') === true;
    },
  };
}

// verify.mjs's fast path (checks on line bytes, segments judged apart and merged), run in
// this thread: three "workers", so every export of more than a few lines is cut and merged.
const fastPath = {
  isUtf8: (b: Bytes) => isUtf8(b),
  parallelism: 3,
  scanSegments: async (bytes: Bytes, segs: object[]) => segs.map((s) => tresorScanSegment(bytes, s, sha('sha256'))),
};

logVerifierSuite(box);
logVerifierSuite(coreVerifier('core.js with node crypto (verify.mjs)', nodeEd25519));
logVerifierSuite(coreVerifier('core.js fast path (verify.mjs: line bytes, segments)', nodeEd25519, true), ['hashing']);
// The tree checks do not depend on the Ed25519 backend; with the JS one they take 20 s.
logVerifierSuite(coreVerifier('core.js with ed25519.js (verify.html without WebCrypto Ed25519)', jsEd25519), ['notes']);

describe('Ed25519 edge cases (ed25519-speccheck): every check of ours judges as OpenSSL and BoringSSL do', () => {
  const spec = JSON.parse(readFileSync(new URL('./fixtures/ed25519_speccheck.json', import.meta.url), 'utf8'));
  const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
  // The two hosts of the auditor's verifier run on OpenSSL (node) and BoringSSL (Chromium):
  // ed25519.js and the box must say what they say, or one export gets two verdicts.
  assert.deepEqual(spec.results['OpenSSL-3.0'], spec.results.BoringSSL);
  const want: boolean[] = spec.results['OpenSSL-3.0'];
  const checks: Record<string, Ed25519> = {
    "node's crypto.verify (verify.mjs)": nodeEd25519,
    'ed25519.js (verify.html)': jsEd25519,
    'crypto/signing.ts (the box)': verifyEd25519,
  };
  for (const [name, verify] of Object.entries(checks)) {
    it(`${name.replace(/\W+/g, '_')}_matches_the_published_openssl_verdicts`, async () => {
      const got: boolean[] = [];
      for (const c of spec.cases) got.push(await verify(hex(c.pub_key), hex(c.message), hex(c.signature)));
      const differ = got.map((g, i) => (g === want[i] ? null : `#${i} (${spec.cases[i].condition}): ${g ? 'accepted' : 'rejected'}`)).filter(Boolean);
      assert.deepEqual(differ, []);
    });
  }
  it('a_small_order_public_key_is_judged_alike_by_all_three', async () => {
    // #0: A and R of small order, S = 0: "verifies" any message under the RFC 8032
    // equation. OpenSSL and BoringSSL accept it; so must the others, or verify.mjs and
    // verify.html disagree. (Harmless here: the trust anchor is the auditor's own vkey.)
    const c = spec.cases[0];
    const verdicts = await Promise.all(Object.values(checks).map((v) => v(hex(c.pub_key), hex(c.message), hex(c.signature))));
    assert.deepEqual(verdicts, [true, true, true]);
  });
});

describe('verify.mjs itself refuses a checkpoint whose signature has a non-canonical S', () => {
  it('verify_mjs_exits_0_on_the_signed_checkpoint_and_1_with_a_signature_failure_on_S_plus_L', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tresor-ed25519-'));
    try {
      const signer = createNoteSigner('vectors.example/log', new Uint8Array(32).fill(43));
      const note = signer.sign(`${signer.name}\n0\n${Buffer.from(EMPTY_ROOT).toString('base64')}\n`);
      writeFileSync(join(dir, 'verify.mjs'), verifierFiles()['verify.mjs']);
      writeFileSync(join(dir, 'entries.jsonl'), '');
      writeFileSync(join(dir, 'log.vkey'), `${signer.vkey}\n`);
      const run = async () => {
        try {
          const r = await promisify(execFile)(process.execPath, [join(dir, 'verify.mjs'), dir]);
          return { code: 0, out: r.stdout };
        } catch (e) {
          const x = e as { code: number; stdout: string };
          return { code: x.code, out: x.stdout };
        }
      };
      writeFileSync(join(dir, 'checkpoint'), note);
      const good = await run();
      assert.equal(good.code, 0, good.out);
      writeFileSync(join(dir, 'checkpoint'), nonCanonicalS(utf8(note)));
      const bad = await run();
      assert.equal(bad.code, 1, bad.out);
      assert.match(bad.out, /FAIL {2}signature: checkpoint: the signature by vectors\.example\/log does not verify/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
