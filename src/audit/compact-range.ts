import { EMPTY_ROOT, hashChildren, type Hash } from './hasher.ts';
import { perfectSubtrees } from './tree-math.ts';

/**
 * A compact range [0, size): the perfect subtrees covering it, one per set bit of size
 * (the "frontier"). Appending a leaf merges equal-height neighbours; each merge is a
 * full node that callers may store or compare. Used to recompute the tree from entries.
 */
export interface CompactRange {
  readonly size: number;
  append(leaf: Hash, onNode?: (level: number, index: number, hash: Hash) => void): void;
  root(): Hash;
  /** hashes of the perfect subtrees covering [0, size), left to right */
  frontier(): Hash[];
}

export function createCompactRange(start = 0, frontier: Hash[] = []): CompactRange {
  const ids = perfectSubtrees(0, start);
  if (ids.length !== frontier.length) {
    throw new RangeError(`a frontier for size ${start} has ${ids.length} hashes, got ${frontier.length}`);
  }
  const stack = ids.map((id, i) => ({ level: id.level, hash: frontier[i]! }));
  let size = start;
  return {
    get size() {
      return size;
    },
    append(leaf, onNode) {
      size++;
      let node = { level: 0, hash: leaf };
      onNode?.(0, size - 1, leaf);
      while (stack.length > 0 && stack[stack.length - 1]!.level === node.level) {
        const left = stack.pop()!;
        const level = node.level + 1;
        node = { level, hash: hashChildren(left.hash, node.hash) };
        onNode?.(level, size / 2 ** level - 1, node.hash);
      }
      stack.push(node);
    },
    root() {
      if (stack.length === 0) return EMPTY_ROOT;
      let acc = stack[stack.length - 1]!.hash;
      for (let i = stack.length - 2; i >= 0; i--) acc = hashChildren(stack[i]!.hash, acc);
      return acc;
    },
    frontier() {
      return stack.map((s) => s.hash);
    },
  };
}
