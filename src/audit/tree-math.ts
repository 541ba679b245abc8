import { EMPTY_ROOT, hashChildren, type Hash } from './hasher.ts';

/**
 * RFC 9162 §2.1 Merkle tree math over any store of full-subtree hashes. Pure: no I/O
 * beyond the reader, so the LMDB store, tests and benchmarks share it.
 *
 * Node (level, index) is the perfect subtree of 2^level leaves covering
 * [index·2^level, (index+1)·2^level). Only such full nodes are ever stored; the hash of a
 * ragged right edge is folded from them on demand, so nothing is rebuilt on append.
 *
 * Indexes and sizes are safe integers (< 2^53) and are handled with arithmetic only:
 * JavaScript's bit operators truncate to 32 bits and would break past 2^32 entries.
 */
export interface NodeReader {
  /** hash of the full subtree (level, index); throws if it is not stored */
  node(level: number, index: number): Hash;
}

export interface NodeId {
  level: number;
  index: number;
}

export function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

export function half(n: number): number {
  return Math.floor(n / 2);
}

export function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/** RFC 9162 §2.1.1: "the largest power of two smaller than n" (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The aligned perfect subtrees covering [start, end), left to right, each as large as
 * alignment allows. For the ranges RFC 9162 recursion produces, folding these from the
 * right gives exactly MTH(D[start:end]).
 */
export function perfectSubtrees(start: number, end: number): NodeId[] {
  const out: NodeId[] = [];
  let p = start;
  while (p < end) {
    let size = 1;
    let level = 0;
    while (p % (size * 2) === 0 && p + size * 2 <= end) {
      size *= 2;
      level++;
    }
    out.push({ level, index: p / size });
    p += size;
  }
  return out;
}

/** MTH(D[start:end]) from stored full nodes: O(log n) reads. */
export function rangeHash(reader: NodeReader, start: number, end: number): Hash {
  if (end <= start) return EMPTY_ROOT;
  const ids = perfectSubtrees(start, end);
  let acc = reader.node(ids[ids.length - 1]!.level, ids[ids.length - 1]!.index);
  for (let i = ids.length - 2; i >= 0; i--) acc = hashChildren(reader.node(ids[i]!.level, ids[i]!.index), acc);
  return acc;
}

export function rootAt(reader: NodeReader, size: number): Hash {
  return rangeHash(reader, 0, size);
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]), deepest sibling first. */
export function inclusionProof(reader: NodeReader, index: number, size: number): Hash[] {
  if (!isTreeSize(index) || !isTreeSize(size) || index >= size) {
    throw new RangeError(`inclusion proof needs 0 ≤ index < size, got index ${index}, size ${size}`);
  }
  const out: Hash[] = [];
  const path = (a: number, b: number): void => {
    if (b - a === 1) return;
    const k = splitPoint(b - a);
    if (index - a < k) {
      path(a, a + k);
      out.push(rangeHash(reader, a + k, b));
    } else {
      path(a + k, b);
      out.push(rangeHash(reader, a, a + k));
    }
  };
  path(0, size);
  return out;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m ≤ n. */
export function consistencyProof(reader: NodeReader, m: number, n: number): Hash[] {
  if (!isTreeSize(m) || !isTreeSize(n) || m < 1 || m > n) {
    throw new RangeError(`consistency proof needs 0 < from ≤ to, got from ${m}, to ${n}`);
  }
  const out: Hash[] = [];
  const sub = (mm: number, a: number, b: number, complete: boolean): void => {
    if (mm === b - a) {
      if (!complete) out.push(rangeHash(reader, a, b));
      return;
    }
    const k = splitPoint(b - a);
    if (mm <= k) {
      sub(mm, a, a + k, complete);
      out.push(rangeHash(reader, a + k, b));
    } else {
      sub(mm - k, a + k, b, false);
      out.push(rangeHash(reader, a, a + k));
    }
  };
  sub(m, 0, n, true);
  return out;
}
