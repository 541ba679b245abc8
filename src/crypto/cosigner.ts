import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { TresorError } from '../core/errors.ts';
import { isValidKeyName } from './signing.ts';

/**
 * The witness's signing half of C2SP tlog-cosignature v1 (https://c2sp.org/tlog-cosignature),
 * here because only crypto holds raw keys (DESIGN §2): the witness's Ed25519 seed goes in,
 * a cosigner that hands out signature lines comes out. The format's other half (parsing
 * and checking lines) is src/audit/cosignature.ts.
 *
 *   key ID   = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ pubkey)[:4]      (0x04: cosignature/v1)
 *   vkey     = name+hex(keyID)+base64(0x04 ‖ pubkey)
 *   line     = "— " name " " base64(keyID ‖ u64be(timestamp) ‖ sig[64])
 *   message  = "cosignature/v1\ntime <timestamp>\n" ‖ checkpoint body (with its final LF)
 */
export const COSIG_TYPE = 0x04;
export const SIGNATURE_LINE_PREFIX = '\u2014 ';

export interface CosignerKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
  vkey: string;
}

export interface Cosigner extends CosignerKey {
  /** the cosignature line (with LF) for a checkpoint body, at `time` (POSIX seconds) */
  cosign(body: string, time: number): string;
}

export function cosignerKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  const h = createHash('sha256').update(Buffer.from(name, 'utf8')).update(Buffer.from([0x0a, COSIG_TYPE])).update(publicKey).digest();
  return new Uint8Array(h.subarray(0, 4));
}

export function cosignedMessage(body: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${body}`, 'utf8');
}

export function createCosigner(name: string, seed: Uint8Array): Cosigner {
  if (!isValidKeyName(name)) throw new TresorError('E_INVALID', `invalid witness name ${JSON.stringify(name)}`);
  if (seed.length !== 32) throw new TresorError('E_KEYS_INVALID', `an Ed25519 seed is 32 bytes, got ${seed.length}`);
  const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(seed));
  const id = cosignerKeyId(name, pair.publicKey);
  const vkey = `${name}+${Buffer.from(id).toString('hex')}+${Buffer.from([COSIG_TYPE, ...pair.publicKey]).toString('base64')}`;
  return {
    name, keyId: id, publicKey: pair.publicKey, vkey,
    cosign(body, time) {
      if (!Number.isSafeInteger(time) || time < 0) throw new TresorError('E_INVALID', `bad cosignature time ${time}`);
      const sig = nacl.sign.detached(cosignedMessage(body, time), pair.secretKey);
      const ts = Buffer.alloc(8);
      ts.writeBigUInt64BE(BigInt(time));
      return `${SIGNATURE_LINE_PREFIX}${name} ${Buffer.concat([id, ts, sig]).toString('base64')}\n`;
    },
  };
}

