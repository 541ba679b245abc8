import { equalHash, hashChildren, type Hash } from './hasher.ts';
import { half, isPowerOfTwo, isTreeSize } from './tree-math.ts';

/**
 * RFC 9162 §2.1.3.2 and §2.1.4.2 proof verification. Each check returns null when the
 * proof holds, else the reason, so callers can say what failed.
 *
 * Policy where implementations differ (transparency-dev/merkle semantics, which our
 * vectors encode): every hash is 32 bytes; a consistency proof from size 0 is refused
 * as meaningless; equal sizes need an empty proof and byte-equal roots.
 */

export function inclusionProblem(leafHash: Hash, index: number, size: number, proof: Hash[], root: Hash): string | null {
  if (!isTreeSize(index) || !isTreeSize(size)) return 'index and size must be non-negative integers below 2^53';
  if (index >= size) return `index ${index} is not below tree size ${size}`;
  if (leafHash.length !== 32) return 'leaf hash is not 32 bytes';
  const bad = proof.findIndex((p) => p.length !== 32);
  if (bad >= 0) return `proof hash #${bad} is not 32 bytes`;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return 'proof is longer than the tree is deep';
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      // Skip the levels where this node is a lone right-edge node with no sibling.
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return 'proof is shorter than the tree is deep';
  if (!equalHash(r, root)) return 'computed root does not match the expected root';
  return null;
}

export function verifyInclusion(leafHash: Hash, index: number, size: number, proof: Hash[], root: Hash): boolean {
  return inclusionProblem(leafHash, index, size, proof, root) === null;
}

export function consistencyProblem(size1: number, size2: number, proof: Hash[], root1: Hash, root2: Hash): string | null {
  if (!isTreeSize(size1) || !isTreeSize(size2)) return 'sizes must be non-negative integers below 2^53';
  if (size2 < size1) return `new size ${size2} is smaller than old size ${size1}`;
  // Checked before equal sizes, as transparency-dev/merkle does: (0, 0) proves nothing either.
  if (size1 === 0) return 'a consistency proof from the empty tree is meaningless';
  if (size1 === size2) {
    if (proof.length > 0) return 'sizes are equal but the proof is not empty';
    return equalHash(root1, root2) ? null : 'sizes are equal but the roots differ';
  }
  if (proof.length === 0) return 'proof is empty';
  const bad = proof.findIndex((p) => p.length !== 32);
  if (bad >= 0) return `proof hash #${bad} is not 32 bytes`;
  // §2.1.4.2 step 2: when size1 is a power of two, the old root is the first node.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : proof;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return 'proof is longer than needed';
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return 'proof is shorter than needed';
  if (!equalHash(fr, root1)) return 'proof does not lead to the old root';
  if (!equalHash(sr, root2)) return 'proof does not lead to the new root';
  return null;
}

export function verifyConsistency(size1: number, size2: number, proof: Hash[], root1: Hash, root2: Hash): boolean {
  return consistencyProblem(size1, size2, proof, root1, root2) === null;
}
