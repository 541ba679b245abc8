// One vector suite for every verifier of the log (as Hono's router/common.case.test.ts
// runs one suite over each router): the box's own checks (src/audit/tree-verify.ts,
// compact-range.ts, crypto/signing.ts; what `tresor audit verify` runs) and the copy the
// auditors run (src/audit/verifier/core.js inside verify.mjs and verify.html). Not a test
// file itself: test/log-verifiers.test.ts calls `logVerifierSuite` once per verifier.
//
// The vectors are the public ones in fixtures/merkle_vectors.json (RFC 6962 / RFC 9162
// hashing, roots, inclusion and consistency proofs; C2SP signed notes), used as they are.
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { b64, hex, vectors } from './fixtures/audit-helpers.ts';

type Bytes = Uint8Array;

export interface LogVerifier {
  name: string;
  /**
   * What a consistency claim from size 0, or between equal sizes, needs. 'strict'
   * (transparency-dev/merkle): size 0 is refused, equal sizes need an empty proof and equal
   * roots. 'lenient' (the python CT verifier; see the note of consistency_negative_python):
   * equal sizes need equal roots, any proof ignored; otherwise a claim from size 0 holds.
   */
  consistencyPolicy: 'strict' | 'lenient';
  /**
   * Its roots arrive in signed checkpoints, whose root is a base64 SHA-256 hash (C2SP
   * tlog-checkpoint): a root of any other length is refused before any proof is looked at.
   */
  rootsFromCheckpoints: boolean;
  /** RFC 6962 §2.1: MTH over these leaves (their data, not hashes) is `root` */
  rootOfLeaves(leaves: Bytes[], root: Bytes): Promise<boolean>;
  /** the tree of `size` leaves given by its perfect subtrees (left to right) has root `root` */
  rootOfSubtrees(size: number, subtrees: Bytes[], root: Bytes): Promise<boolean>;
  /** RFC 9162 §2.1.4.2 */
  consistency(size1: bigint, size2: bigint, proof: Bytes[], root1: Bytes, root2: Bytes): Promise<boolean>;
  /** RFC 9162 §2.1.3.2; null when the verifier has no inclusion check (its inputs never carry one) */
  inclusion: ((leafHash: Bytes, index: bigint, size: bigint, proof: Bytes[], root: Bytes) => Promise<boolean>) | null;
  /** C2SP signed-note: at least one good signature by this key and none bad */
  signedNote(note: Bytes, vkey: string): Promise<boolean>;
}

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const big = (v: number | string) => BigInt(v); // uint64 probes come as decimal strings
const flip = (h: Bytes) => {
  const c = new Uint8Array(h);
  c[0]! ^= 1;
  return c;
};
const equal = (a: Bytes, b: Bytes) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The expected verdict for this verifier (the vector states the transparency-dev one). */
function expectConsistency(v: LogVerifier, strict: boolean, s1: bigint, s2: bigint, r1: Bytes, r2: Bytes): boolean {
  if (v.rootsFromCheckpoints && (r1.length !== 32 || r2.length !== 32)) return false;
  if (v.consistencyPolicy === 'strict' || s2 >= 2n ** 53n) return strict;
  if (s1 === s2) return equal(r1, r2);
  if (s1 === 0n) return true;
  return strict;
}

export type SuitePart = 'hashing' | 'consistency' | 'inclusion' | 'notes';
const ALL_PARTS: readonly SuitePart[] = ['hashing', 'consistency', 'inclusion', 'notes'];

/** Registers the suite for one verifier; `parts` leaves out what another run covers already. */
export function logVerifierSuite(v: LogVerifier, parts: readonly SuitePart[] = ALL_PARTS): void {
  const part = (p: SuitePart) => (parts.includes(p) ? {} : { skip: 'covered by the same code in another run of this suite' });
  const ref = vectors.reference_tree;
  const leaves: Bytes[] = ref.leaves_hex.map(hex);
  const rootAt = (n: number) => hex(ref.roots_by_size[String(n)]);
  /** the perfect subtrees covering [0, n) of the reference tree, highest first */
  const subtreesOf = (n: number) => {
    const out: Bytes[] = [];
    for (let level = 3, start = 0; level >= 0; level--) {
      if (n & (1 << level)) {
        out.push(hex(ref.node_hashes_by_level[level][start >> level]));
        start += 1 << level;
      }
    }
    return out;
  };

  describe(`${v.name}: RFC 6962 hashing and roots`, part('hashing'), () => {
    it('leaf_and_empty_tree_hashes_match_transparency_dev_and_ct_python', async () => {
      for (const c of vectors.rfc6962_hasher.cases) {
        if (c.kind === 'node') continue; // children of any length: below what a verifier is given (audit-tree.test.ts checks the hasher)
        const input = c.kind === 'empty_root' ? [] : [ascii(c.input_ascii)];
        assert.equal(await v.rootOfLeaves(input, hex(c.want)), true, c.desc);
        assert.equal(await v.rootOfLeaves(input, flip(hex(c.want))), false, `${c.desc}, wrong root`);
      }
      for (const c of vectors.ct_python_hasher.cases.filter((x: { kind: string }) => x.kind === 'leaf')) {
        assert.equal(await v.rootOfLeaves([hex(c.input_hex)], hex(c.want)), true, c.input_hex);
      }
    });
    it('node_hash_of_two_subtrees_matches_ct_python', async () => {
      // a tree of 3 leaves is its two perfect subtrees (sizes 2 and 1) hashed together
      for (const c of vectors.ct_python_hasher.cases.filter((x: { kind: string }) => x.kind === 'node')) {
        assert.equal(await v.rootOfSubtrees(3, [hex(c.left_hex), hex(c.right_hex)], hex(c.want)), true);
        assert.equal(await v.rootOfSubtrees(3, [hex(c.right_hex), hex(c.left_hex)], hex(c.want)), false, 'order matters');
      }
    });
    it('reference_tree_root_for_every_size_0_to_8_from_its_leaves_and_from_its_subtrees', async () => {
      for (let n = 0; n <= 8; n++) {
        assert.equal(await v.rootOfLeaves(leaves.slice(0, n), rootAt(n)), true, `leaves, size ${n}`);
        assert.equal(await v.rootOfSubtrees(n, subtreesOf(n), rootAt(n)), true, `subtrees, size ${n}`);
        if (n > 0) assert.equal(await v.rootOfLeaves(leaves.slice(0, n), rootAt(n - 1)), false, `size ${n} against the root of ${n - 1}`);
        if (n > 1) assert.equal(await v.rootOfLeaves([...leaves.slice(0, n)].reverse(), rootAt(n)), false, `size ${n} reordered`);
      }
    });
  });

  describe(`${v.name}: RFC 9162 consistency proofs`, part('consistency'), () => {
    it('published_proofs_between_reference_tree_sizes_verify_and_their_mutations_do_not', async () => {
      for (const c of vectors.consistency_proofs_kat.cases) {
        const proof = c.proof.map(hex);
        const [s1, s2] = [big(c.size1), big(c.size2)];
        assert.equal(await v.consistency(s1, s2, proof, rootAt(c.size1), rootAt(c.size2)), true, `${c.size1}→${c.size2}`);
        if (proof.length) {
          assert.equal(await v.consistency(s1, s2, [flip(proof[0]!), ...proof.slice(1)], rootAt(c.size1), rootAt(c.size2)), false, 'flipped');
          assert.equal(await v.consistency(s1, s2, proof.slice(1), rootAt(c.size1), rootAt(c.size2)), false, 'dropped');
        }
      }
    });
    it('ct_python_negative_cases_under_this_verifiers_policy', async () => {
      for (const c of vectors.consistency_negative_python.cases) {
        const strict = c.expect_valid_strict_semantics ?? c.expect_valid;
        const [s1, s2, r1, r2] = [big(c.size1), big(c.size2), hex(c.root1), hex(c.root2)];
        assert.equal(await v.consistency(s1, s2, c.proof.map(hex), r1, r2), expectConsistency(v, strict, s1, s2, r1, r2), c.test);
      }
    });
    it('transparency_dev_probes_under_this_verifiers_policy', async () => {
      for (const p of vectors.tdev_consistency_probes.probes) {
        const [s1, s2, r1, r2] = [big(p.size1), big(p.size2), b64(p.root1), b64(p.root2)];
        const ok = await v.consistency(s1, s2, (p.proof ?? []).map(b64), r1, r2);
        assert.equal(ok, expectConsistency(v, !p.wantErr, s1, s2, r1, r2), p.path);
      }
    });
  });

  const noInclusion = { skip: 'this verifier has no inclusion check: its inputs carry no inclusion proofs (yet)' };
  describe(`${v.name}: RFC 9162 inclusion proofs`, v.inclusion ? part('inclusion') : noInclusion, () => {
    const inclusion = v.inclusion!;
    it('published_paths_in_the_reference_tree_verify', async () => {
      for (const c of vectors.inclusion_proofs_kat.cases.filter((x: { expect_valid: boolean }) => x.expect_valid)) {
        const leaf = await leafHashOf(leaves[c.leaf_index]!);
        assert.equal(await inclusion(leaf, big(c.leaf_index), big(c.tree_size), c.proof.map(hex), rootAt(c.tree_size)), true, `${c.leaf_index}/${c.tree_size}`);
      }
    });
    it('real_ct_log_inclusion_proof_verifies', async () => {
      const c = vectors.ct_real_log_inclusion;
      assert.equal(await inclusion(hex(c.leaf_hash), big(c.leaf_index), big(c.tree_size), c.proof.map(hex), hex(c.root)), c.expect_valid);
    });
    it('transparency_dev_probes_match_wantErr', async () => {
      for (const p of vectors.tdev_inclusion_probes.probes) {
        const ok = await inclusion(b64(p.leafHash), big(p.leafIdx), big(p.treeSize), (p.proof ?? []).map(b64), b64(p.root));
        assert.equal(ok, !p.wantErr, p.path);
      }
    });
  });

  describe(`${v.name}: C2SP signed notes`, part('notes'), () => {
    const sn = vectors.signed_note;
    it('published_notes_verify_or_not_as_their_sources_say', async () => {
      for (const c of sn.cases) assert.equal(await v.signedNote(utf8(c.signed_note), c.vkey), c.expect_valid, c.desc);
    });
    it('malformed_notes_from_go_TestOpen_are_all_rejected', async () => {
      for (const c of sn.malformed_notes.cases) assert.equal(await v.signedNote(hex(c.note_hex), sn.malformed_notes.vkey), false, c.go_expr);
    });
    it('a_signature_with_a_non_canonical_S_or_S_at_least_L_is_rejected_rfc8032_5_1_7', async () => {
      // RFC 8032 §5.1.7: S must be below the group order L. [S + L]B = [S]B, so a verifier
      // without that check takes S + L as well: the same note under a second signature.
      const c = sn.cases.find((x: { expect_valid: boolean; skey?: string }) => x.expect_valid && x.skey);
      const good = utf8(c.signed_note);
      assert.equal(await v.signedNote(good, c.vkey), true);
      for (const [what, s] of sScalars(good)) assert.equal(await v.signedNote(withS(good, s), c.vkey), false, what);
    });
  });
}

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** Non-canonical replacements for the S half of a note's (last) signature. */
function sScalars(note: Bytes): [string, bigint][] {
  const s = littleEndian(signatureOf(note).subarray(32));
  return [['S + L', s + L], ['S = L', L], ['S = 2^256 - 1', 2n ** 256n - 1n], ['S + 2L', s + 2n * L]].filter(([, x]) => (x as bigint) < 2n ** 256n) as [string, bigint][];
}

function signatureOf(note: Bytes): Bytes {
  const text = Buffer.from(note).toString('utf8');
  const line = text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1);
  return b64(line.slice(line.lastIndexOf(' ') + 1)).subarray(4);
}

function withS(note: Bytes, s: bigint): Bytes {
  const text = Buffer.from(note).toString('utf8');
  const start = text.lastIndexOf('\n', text.length - 2) + 1;
  const line = text.slice(start, -1);
  const sp = line.lastIndexOf(' ');
  const raw = Buffer.from(line.slice(sp + 1), 'base64');
  for (let i = 0; i < 32; i++) raw[4 + 32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
  return utf8(`${text.slice(0, start)}${line.slice(0, sp + 1)}${raw.toString('base64')}\n`);
}

function littleEndian(b: Bytes): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]!);
  return x;
}

/** RFC 6962: SHA-256(0x00 ‖ data), computed here so no verifier's own hasher is assumed */
async function leafHashOf(data: Bytes): Promise<Bytes> {
  return new Uint8Array(createHash('sha256').update(Buffer.from([0])).update(data).digest());
}

/** The note with the S of its last signature replaced by S + L: the same equation holds. */
export function nonCanonicalS(note: Bytes): Bytes {
  return withS(note, littleEndian(signatureOf(note).subarray(32)) + L);
}
