import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EMPTY_ROOT, hashChildren, hashLeaf, toHex, type Hash } from '../src/audit/hasher.ts';
import { consistencyProof, inclusionProof, perfectSubtrees, rootAt, type NodeReader } from '../src/audit/tree-math.ts';
import { consistencyProblem, inclusionProblem, verifyConsistency, verifyInclusion } from '../src/audit/tree-verify.ts';
import { flipBit, hex, memoryTree, prng, vectors } from './fixtures/audit-helpers.ts';

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('RFC 6962 hasher vectors', () => {
  it('hasher_matches_transparency_dev_rfc6962_cases', () => {
    for (const c of vectors.rfc6962_hasher.cases) {
      const got =
        c.kind === 'empty_root' ? EMPTY_ROOT : c.kind === 'leaf' ? hashLeaf(ascii(c.input_ascii)) : hashChildren(ascii(c.left_ascii), ascii(c.right_ascii));
      assert.equal(toHex(got), c.want, c.desc);
    }
  });
  it('hasher_matches_ct_python_cases', () => {
    for (const c of vectors.ct_python_hasher.cases) {
      const got = c.kind === 'leaf' ? hashLeaf(hex(c.input_hex)) : hashChildren(hex(c.left_hex), hex(c.right_hex));
      assert.equal(toHex(got), c.want);
    }
  });
});

describe('reference tree vectors', () => {
  const ref = vectors.reference_tree;
  const leaves: Uint8Array[] = ref.leaves_hex.map(hex);
  const tree = memoryTree(leaves);

  it('root_for_every_size_0_to_8_matches', () => {
    for (let n = 0; n <= 8; n++) assert.equal(toHex(rootAt(tree, n)), ref.roots_by_size[String(n)], `size ${n}`);
  });
  it('stored_full_nodes_match_node_hashes_by_level', () => {
    ref.node_hashes_by_level.forEach((level: string[], l: number) => level.forEach((h, i) => assert.equal(toHex(tree.node(l, i)), h, `${l}:${i}`)));
  });
  it('level_counts_match_proof_depths', () => {
    ref.level_counts_for_sizes_1_to_8.forEach((levels: number, i: number) => assert.equal(inclusionProof(tree, 0, i + 1).length, levels - 1));
  });
  it('inclusion_proofs_equal_the_published_paths_and_verify', () => {
    for (const c of vectors.inclusion_proofs_kat.cases) {
      if (!c.expect_valid) {
        assert.throws(() => inclusionProof(tree, c.leaf_index, c.tree_size));
        continue;
      }
      const proof = inclusionProof(tree, c.leaf_index, c.tree_size);
      assert.deepEqual(proof.map(toHex), c.proof, `leaf ${c.leaf_index} size ${c.tree_size}`);
      assert.equal(inclusionProblem(tree.leafHashes[c.leaf_index]!, c.leaf_index, c.tree_size, proof, hex(ref.roots_by_size[String(c.tree_size)])), null);
    }
  });
  it('consistency_proofs_equal_the_published_proofs_and_verify', () => {
    for (const c of vectors.consistency_proofs_kat.cases) {
      const proof = consistencyProof(tree, c.size1, c.size2);
      assert.deepEqual(proof.map(toHex), c.proof, `${c.size1}→${c.size2}`);
      const r1 = hex(ref.roots_by_size[String(c.size1)]);
      const r2 = hex(ref.roots_by_size[String(c.size2)]);
      assert.equal(consistencyProblem(c.size1, c.size2, proof, r1, r2), null);
    }
  });
  it('real_ct_log_inclusion_proof_verifies', () => {
    const c = vectors.ct_real_log_inclusion;
    const leaf = hashLeaf(hex(c.leaf_input_hex));
    assert.equal(toHex(leaf), c.leaf_hash);
    assert.equal(verifyInclusion(leaf, c.leaf_index, c.tree_size, c.proof.map(hex), hex(c.root)), c.expect_valid);
  });
});

// The verifiers' vectors (ct-python negatives, transparency-dev probes, signed notes) run
// over every verifier in test/log-verifiers.test.ts.

describe('random trees (property tests)', () => {
  const rnd = prng(20240611);
  const N = 160;
  const leaves = Array.from({ length: N }, (_, i) => new Uint8Array(Buffer.from(`leaf ${i} ${rnd()}`)));
  const tree = memoryTree(leaves);
  const roots = Array.from({ length: N + 1 }, (_, n) => rootAt(tree, n));

  it('every_inclusion_and_consistency_proof_verifies_for_sizes_up_to_64', () => {
    for (let n = 1; n <= 64; n++) {
      for (let i = 0; i < n; i++) assert.equal(inclusionProblem(tree.leafHashes[i]!, i, n, inclusionProof(tree, i, n), roots[n]!), null, `${i}/${n}`);
      for (let m = 1; m <= n; m++) assert.equal(consistencyProblem(m, n, consistencyProof(tree, m, n), roots[m]!, roots[n]!), null, `${m}→${n}`);
    }
  });

  it('every_single_bit_mutation_of_an_inclusion_proof_is_rejected', () => {
    for (let k = 0; k < 12; k++) {
      const n = 2 + Math.floor(rnd() * 78);
      const i = Math.floor(rnd() * n);
      const leaf = tree.leafHashes[i]!;
      const proof = inclusionProof(tree, i, n);
      const root = roots[n]!;
      for (let bit = 0; bit < 256; bit++) {
        assert.equal(verifyInclusion(flipBit(leaf, bit), i, n, proof, root), false, 'leaf bit');
        assert.equal(verifyInclusion(leaf, i, n, proof, flipBit(root, bit)), false, 'root bit');
        proof.forEach((_, j) => {
          const bad = proof.map((h, jj) => (jj === j ? flipBit(h, bit) : h));
          assert.equal(verifyInclusion(leaf, i, n, bad, root), false, `proof[${j}] bit ${bit}`);
        });
      }
      for (let bit = 0; bit < 53; bit++) {
        // A claim (index', size') is checked against the root signed for size'.
        const i2 = flipNumberBit(i, bit);
        if (i2 !== i) assert.equal(verifyInclusion(leaf, i2, n, proof, root), false, `index ${i}→${i2} of ${n}`);
        const n2 = flipNumberBit(n, bit);
        const root2 = n2 <= N ? roots[n2]! : root;
        assert.equal(verifyInclusion(leaf, i, n2, proof, root2), false, `size ${n}→${n2}`);
      }
    }
  });

  it('every_single_bit_mutation_of_a_consistency_proof_is_rejected', () => {
    for (let k = 0; k < 12; k++) {
      const n = 3 + Math.floor(rnd() * 77);
      const m = 1 + Math.floor(rnd() * (n - 1));
      const proof = consistencyProof(tree, m, n);
      for (let bit = 0; bit < 256; bit++) {
        assert.equal(verifyConsistency(m, n, proof, flipBit(roots[m]!, bit), roots[n]!), false, 'old root bit');
        assert.equal(verifyConsistency(m, n, proof, roots[m]!, flipBit(roots[n]!, bit)), false, 'new root bit');
        proof.forEach((_, j) => {
          const bad = proof.map((h, jj) => (jj === j ? flipBit(h, bit) : h));
          assert.equal(verifyConsistency(m, n, bad, roots[m]!, roots[n]!), false, `proof[${j}] bit ${bit}`);
        });
      }
      for (let bit = 0; bit < 53; bit++) {
        const m2 = flipNumberBit(m, bit);
        if (m2 <= N) assert.equal(verifyConsistency(m2, n, proof, roots[m2]!, roots[n]!), false, `size1 ${m}→${m2}`);
        else assert.equal(verifyConsistency(m2, n, proof, roots[m]!, roots[n]!), false, `size1 ${m}→${m2}`);
        const n2 = flipNumberBit(n, bit);
        assert.equal(verifyConsistency(m, n2, proof, roots[m]!, n2 <= N ? roots[n2]! : roots[n]!), false, `size2 ${n}→${n2}`);
      }
      assert.equal(verifyConsistency(m, n, proof.slice(1), roots[m]!, roots[n]!), false, 'dropped hash');
      assert.equal(verifyConsistency(m, n, [...proof, proof[0]!], roots[m]!, roots[n]!), false, 'extra hash');
    }
  });
});

describe('sizes and indexes beyond 2^32', () => {
  // A tree whose leaves are all equal: every full node of a level has the same hash, so
  // any size can be served without storing anything, and the reader records its reads.
  function uniformTree(): NodeReader & { reads: string[] } {
    const byLevel: Hash[] = [hashLeaf(new Uint8Array([42]))];
    const reads: string[] = [];
    return {
      reads,
      node(level, index) {
        assert.ok(Number.isSafeInteger(index) && index >= 0, `index ${index}`);
        reads.push(`${level}:${index}`);
        while (byLevel.length <= level) byLevel.push(hashChildren(byLevel[byLevel.length - 1]!, byLevel[byLevel.length - 1]!));
        return byLevel[level]!;
      },
    };
  }

  // Reference node IDs of an inclusion path, computed with BigInt and bit operations
  // (the transparency-dev/merkle formulation), to check our arithmetic-only version.
  function referencePathNodes(index: bigint, size: bigint): string[] {
    const out: string[] = [];
    const inner = (index ^ (size - 1n)).toString(2).length;
    for (let level = 0n; level < BigInt(inner); level++) {
      const sib = (index >> level) ^ 1n;
      const start = sib << level;
      if (start + (1n << level) <= size) out.push(`${level}:${sib}`);
      else for (const id of perfectSubtrees(Number(start), Number(size))) out.push(`${id.level}:${id.index}`); // right border
    }
    for (let level = BigInt(inner); (index >> level) > 0n; level++) {
      if (((index >> level) & 1n) === 1n) out.push(`${level}:${(index >> level) ^ 1n}`);
    }
    return out.sort();
  }

  for (const [index, size] of [
    [2 ** 32 + 1, 2 ** 32 + 3],
    [2 ** 32 - 1, 2 ** 33 + 12345],
    [5, 2 ** 40 + 7],
    [2 ** 52 + 3, 2 ** 52 + 9],
  ] as const) {
    it(`inclusion_index_${index}_size_${size}_verifies_and_reads_the_right_nodes`, () => {
      const t = uniformTree();
      const root = rootAt(t, size);
      t.reads.length = 0;
      const proof = inclusionProof(t, index, size);
      assert.deepEqual([...t.reads].sort(), referencePathNodes(BigInt(index), BigInt(size)));
      assert.equal(inclusionProblem(t.node(0, index), index, size, proof, root), null);
      assert.equal(verifyInclusion(t.node(0, index), index, size, proof.slice(1), root), false);
    });
  }

  it('consistency_across_2_32_verifies', () => {
    const t = uniformTree();
    for (const [m, n] of [
      [2 ** 32 - 1, 2 ** 32 + 3],
      [2 ** 32, 2 ** 33 + 1],
      [3, 2 ** 45 + 17],
      [2 ** 52 + 1, 2 ** 53 - 1],
    ] as const) {
      const proof = consistencyProof(t, m, n);
      assert.equal(consistencyProblem(m, n, proof, rootAt(t, m), rootAt(t, n)), null, `${m}→${n}`);
    }
  });

  it('sizes_past_2_53_are_refused_not_truncated', () => {
    const t = uniformTree();
    assert.throws(() => inclusionProof(t, 0, 2 ** 53 + 2), RangeError);
    assert.match(inclusionProblem(t.node(0, 0), 0, 2 ** 64, [], EMPTY_ROOT)!, /below 2\^53/);
  });
});

function flipNumberBit(n: number, bit: number): number {
  const p = 2 ** bit;
  return Math.floor(n / p) % 2 === 1 ? n - p : n + p;
}
