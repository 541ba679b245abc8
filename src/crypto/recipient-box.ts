import { open, stat } from 'node:fs/promises';
import nacl from 'tweetnacl';
import { TresorError } from '../core/errors.ts';

/**
 * A file sealed to a recipient's X25519 public key (issue 13 item 5: an evidence bundle
 * "encrypted to the recipient's public key"): NaCl box with an ephemeral key pair, so only
 * the holder of the recipient's secret key can open it and the box keeps nothing that could.
 * Chunked like the archive's envelope (age's STREAM): 1 MiB chunks, nonce = 16-byte random
 * prefix ‖ final flag ‖ 7-byte counter, so a truncated, reordered or extended file fails.
 *
 * Format: "TRESORBOX1\n" ‖ ephemeral public key (32) ‖ nonce prefix (16) ‖ chunks, each
 * u32 big-endian length ‖ box.after(chunk). The reader is open-bundle.mjs (src/crypto/open-bundle.js).
 */
export const BOX_MAGIC = 'TRESORBOX1\n';
const CHUNK = 1 << 20;

export function parseRecipientKey(hex: string): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex.trim())) throw new TresorError('E_INVALID', 'the recipient key is 64 hex digits (an X25519 public key: node open-bundle.mjs --keygen FILE prints one)');
  return Buffer.from(hex.trim(), 'hex');
}

function nonceOf(prefix: Uint8Array, counter: number, final: boolean): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix, 0);
  n[16] = final ? 1 : 0;
  let c = counter;
  for (let i = 23; i >= 17; i--) {
    n[i] = c & 0xff;
    c = Math.floor(c / 256);
  }
  return n;
}

/** Seals `src` into `dst` for `recipient` (32-byte X25519 public key). */
export async function sealToRecipient(src: string, dst: string, recipient: Uint8Array): Promise<{ bytes: number }> {
  const eph = nacl.box.keyPair();
  const shared = nacl.box.before(recipient, eph.secretKey);
  eph.secretKey.fill(0);
  const prefix = nacl.randomBytes(16);
  const size = (await stat(src)).size;
  const inp = await open(src, 'r');
  const out = await open(dst, 'wx', 0o600);
  let bytes = 0;
  try {
    const head = Buffer.concat([Buffer.from(BOX_MAGIC), eph.publicKey, prefix]);
    await out.write(head);
    bytes += head.length;
    const buf = Buffer.alloc(CHUNK);
    let off = 0;
    let counter = 0;
    do {
      const { bytesRead } = await inp.read(buf, 0, Math.min(CHUNK, size - off), off);
      off += bytesRead;
      const sealed = nacl.box.after(buf.subarray(0, bytesRead), nonceOf(prefix, counter++, off >= size), shared);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(sealed.length);
      await out.write(Buffer.concat([len, sealed]));
      bytes += 4 + sealed.length;
      if (bytesRead === 0) break;
    } while (off < size);
    await out.sync();
  } finally {
    shared.fill(0);
    await inp.close();
    await out.close();
  }
  return { bytes };
}
