import { TresorError } from '../core/index.ts';
import { decodeBase64Strict, isValidKeyName, verifyEd25519 } from '../crypto/signing.ts';
import { COSIG_TYPE, cosignedMessage, cosignerKeyId, SIGNATURE_LINE_PREFIX as PREFIX, type CosignerKey } from '../crypto/cosigner.ts';

export { COSIG_TYPE, cosignedMessage, createCosigner, type Cosigner, type CosignerKey } from '../crypto/cosigner.ts';

/**
 * C2SP tlog-cosignature v1 (Ed25519, https://c2sp.org/tlog-cosignature): a witness's note
 * signature line on a checkpoint it verified as consistent with everything it saw before.
 *
 *   key ID   = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ pubkey)[:4]      (0x04: cosignature/v1)
 *   vkey     = name+hex(keyID)+base64(0x04 ‖ pubkey)
 *   line     = "— " name " " base64(keyID ‖ u64be(timestamp) ‖ sig[64])
 *   message  = "cosignature/v1\ntime <timestamp>\n" ‖ checkpoint body (with its final LF)
 *
 * The v1 message does not commit to the witness name, so one key must never serve two
 * witnesses (spec §"Ed25519 signed message").
 */
/** Parses a witness vkey (type 0x04) and checks its key ID. */
export function parseCosignerVkey(vkey: string): CosignerKey {
  const bad = (why: string) => new TresorError('E_KEYS_INVALID', `malformed witness key: ${why}`);
  const line = vkey.trim();
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(line);
  if (!m) throw bad('expected name+keyid+key');
  const [, name, idHex, b64] = m as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) throw bad('invalid name');
  const k = decodeBase64Strict(b64);
  if (!k || k.length !== 33 || k[0] !== COSIG_TYPE) throw bad('not an Ed25519 cosignature/v1 (type 0x04) key');
  const publicKey = k.subarray(1);
  const id = cosignerKeyId(name, publicKey);
  if (Buffer.from(id).toString('hex') !== idHex) throw bad('key ID does not match name and key');
  return { name, keyId: id, publicKey, vkey: line };
}

export type CosignatureCheck = { ok: true; time: number } | { ok: false; reason: string } | null;

/**
 * Checks one signature line against a witness key: null when the line is not by that key
 * (C2SP: signatures by unknown keys are ignored), else whether it verifies.
 */
export function checkCosignature(line: string, body: string, key: CosignerKey): CosignatureCheck {
  const l = line.endsWith('\n') ? line.slice(0, -1) : line;
  if (!l.startsWith(PREFIX)) return null;
  const rest = l.slice(PREFIX.length);
  const sp = rest.indexOf(' ');
  if (sp < 0 || rest.slice(0, sp) !== key.name) return null;
  const raw = decodeBase64Strict(rest.slice(sp + 1));
  if (!raw || raw.length < 4 || !Buffer.from(raw.subarray(0, 4)).equals(Buffer.from(key.keyId))) return null;
  if (raw.length !== 4 + 8 + 64) return { ok: false, reason: `cosignature by ${key.name} has the wrong length` };
  const t = Buffer.from(raw.subarray(4, 12)).readBigUInt64BE();
  if (t > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `cosignature by ${key.name} has an impossible time` };
  const time = Number(t);
  if (!verifyEd25519(key.publicKey, cosignedMessage(body, time), raw.subarray(12))) {
    return { ok: false, reason: `cosignature by ${key.name} does not verify` };
  }
  return { ok: true, time };
}

/** The signature lines of a note (each without LF) and its body, or null when it has none. */
export function splitNote(note: string): { body: string; sigLines: string[] } | null {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  return { body: note.slice(0, split + 1), sigLines: note.slice(split + 2, -1).split('\n') };
}
