import { createHash } from 'node:crypto';

/**
 * RFC 6962 §2.1 / RFC 9162 §2.1.1 hashing with SHA-256. The 0x00 / 0x01 prefixes keep a
 * leaf from ever being mistaken for an interior node (second-preimage resistance).
 */
export type Hash = Uint8Array;

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

/** MTH({}) = SHA-256() */
export const EMPTY_ROOT: Hash = new Uint8Array(createHash('sha256').digest());

/** MTH({d}) = SHA-256(0x00 ‖ d) */
export function hashLeaf(data: Uint8Array): Hash {
  return new Uint8Array(createHash('sha256').update(LEAF).update(data).digest());
}

/** SHA-256(0x01 ‖ left ‖ right) */
export function hashChildren(left: Uint8Array, right: Uint8Array): Hash {
  return new Uint8Array(createHash('sha256').update(NODE).update(left).update(right).digest());
}

export function sha256(data: Uint8Array | string): Hash {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function toHex(h: Uint8Array): string {
  return Buffer.from(h.buffer, h.byteOffset, h.byteLength).toString('hex');
}

export function fromHex(s: string): Hash {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

export function equalHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
