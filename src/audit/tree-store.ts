import { TresorError } from '../core/index.ts';
import type { TreeTable } from '../store/index.ts';
import { hashChildren, type Hash } from './hasher.ts';
import type { NodeReader } from './tree-math.ts';

/**
 * The RFC 6962 tree in LMDB: `tree` db, key [level, index] → 32-byte hash of that full
 * subtree. Appending leaf n writes [0, n] and every node it completes (one per trailing
 * 1-bit of n), so the stored nodes are always exactly the full subtrees of [0, size) and
 * roots and proofs never need a rebuild.
 */
export function treeReader(tree: TreeTable): NodeReader {
  return {
    node(level, index) {
      const h = tree.node(level, index);
      if (!h || h.length !== 32) {
        throw new TresorError('E_LOG_INCONSISTENT', `log tree node (${level}, ${index}) is missing or damaged`, {
          detail: { level, index },
        });
      }
      return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
    },
  };
}

/**
 * Stores leaf `index` and the nodes it completes. Call inside the write transaction
 * that also writes the entry line, so a crash leaves either both or neither.
 */
export function storeLeaf(tree: TreeTable, reader: NodeReader, index: number, leaf: Hash): void {
  tree.putNode(0, index, leaf);
  let level = 0;
  let i = index;
  let h = leaf;
  // A right child (odd index) completes its parent; climb while that keeps happening.
  while (i % 2 === 1) {
    h = hashChildren(reader.node(level, i - 1), h);
    level++;
    i = (i - 1) / 2;
    tree.putNode(level, i, h);
  }
}
