import { createHash, createPrivateKey, createPublicKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import nacl from 'tweetnacl';
import { TresorError } from '../core/index.ts';

/**
 * C2SP signed-note with Ed25519 (https://c2sp.org/signed-note), the envelope of the
 * log's checkpoints. The only module besides the keyring that touches the signing key:
 * the seed comes in, a `sign` closure goes out, the seed is never exposed again.
 *
 * Format (C2SP signed-note §"Format"):
 *   text (UTF-8, no control characters but LF, ends with LF)
 *   LF                                          -- the blank line
 *   "— " name " " base64(keyID[4] ‖ sig[64]) LF  -- one or more signature lines
 * keyID = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pubkey)[:4]; 0x01 is the Ed25519 signature type.
 */

const SIG_TYPE_ED25519 = 0x01;
const SIG_PREFIX = '\u2014 '; // em dash U+2014 + space
const MAX_SIGNATURES = 100; // as golang.org/x/mod/sumdb/note: bound the work on hostile notes

export interface NoteSigner {
  /** key name; for the log it is also the checkpoint origin */
  readonly name: string;
  /** 4-byte key ID as lowercase hex */
  readonly keyId: string;
  /** C2SP vkey line `name+hex(keyID)+base64(0x01‖pubkey)` */
  readonly vkey: string;
  /** signs `text` (must end with LF) and returns the whole note */
  sign(text: string): string;
}

export interface Verifier {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

export type NoteResult = { ok: true; text: string } | { ok: false; reason: string };

/** C2SP: a key name is non-empty, has no Unicode space and no '+'. */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u.test(name);
}

export function keyIdFor(name: string, publicKey: Uint8Array): Uint8Array {
  const h = createHash('sha256')
    .update(Buffer.from(name, 'utf8'))
    .update(Buffer.from([0x0a, SIG_TYPE_ED25519]))
    .update(publicKey)
    .digest();
  return new Uint8Array(h.subarray(0, 4));
}

// RFC 8410: PKCS#8 for an Ed25519 private key is this fixed prefix and the 32-byte seed.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The Ed25519 key of a seed through OpenSSL (node:crypto): tweetnacl's pure-JS derivation
 * took ~100 ms, paid by every CLI start that opens the site (issue 15, item 1). Signatures
 * are the same bytes (Ed25519 is deterministic, RFC 8032).
 */
export function ed25519FromSeed(seed: Uint8Array): { publicKey: Uint8Array; privateKey: KeyObject } {
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  // SPKI DER of an Ed25519 key: 12 bytes of header, then the 32-byte public key
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(12));
  return { publicKey, privateKey };
}

export function createNoteSigner(name: string, seed: Uint8Array): NoteSigner {
  if (!isValidKeyName(name)) throw new TresorError('E_INVALID', `invalid signing key name ${JSON.stringify(name)}`);
  if (seed.length !== 32) throw new TresorError('E_KEYS_INVALID', `an Ed25519 seed is 32 bytes, got ${seed.length}`);
  const pair = ed25519FromSeed(seed);
  const keyId = keyIdFor(name, pair.publicKey);
  const vkey = `${name}+${Buffer.from(keyId).toString('hex')}+${Buffer.from([SIG_TYPE_ED25519, ...pair.publicKey]).toString('base64')}`;
  return {
    name,
    keyId: Buffer.from(keyId).toString('hex'),
    vkey,
    sign(text: string): string {
      const problem = textProblem(text);
      if (problem) throw new TresorError('E_INVALID', `cannot sign note: ${problem}`);
      const sig = cryptoSign(null, Buffer.from(text, 'utf8'), pair.privateKey);
      const b64 = Buffer.concat([keyId, sig]).toString('base64');
      return `${text}\n${SIG_PREFIX}${name} ${b64}\n`;
    },
  };
}

/** Parses a vkey line and checks that its key ID matches name and key (as Go's NewVerifier). */
export function parseVkey(vkey: string): Verifier {
  const bad = (why: string) => new TresorError('E_KEYS_INVALID', `malformed verifier key: ${why}`);
  // Split at the first two '+' only (as Go's note.NewVerifier): base64 may contain '+'.
  const m = /^([^+]*)\+([^+]*)\+(.*)$/s.exec(vkey.trim());
  if (!m) throw bad('expected name+keyid+key');
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) throw bad('invalid name');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw bad('key ID is not 8 lowercase hex digits');
  const key = decodeBase64Strict(keyB64);
  if (!key || key.length !== 33 || key[0] !== SIG_TYPE_ED25519) throw bad('not an Ed25519 (type 0x01) key');
  const publicKey = key.subarray(1);
  const keyId = keyIdFor(name, publicKey);
  if (Buffer.from(keyId).toString('hex') !== idHex) throw bad('key ID does not match name and key');
  return { name, keyId, publicKey };
}

/**
 * Opens a signed note (C2SP signed-note §"Verification", behaviour of golang.org/x/mod
 * note.Open): malformed notes are rejected; signatures by unknown keys are ignored; a
 * signature by the trusted key that does not verify rejects the note; at least one valid
 * signature by the trusted key is required.
 */
export function verifyNote(note: string | Uint8Array, vkey: string | Verifier): NoteResult {
  const v = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
  const bytes = typeof note === 'string' ? Buffer.from(note, 'utf8') : Buffer.from(note);
  let msg: string;
  try {
    msg = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, reason: 'malformed note: not valid UTF-8' };
  }
  // No ASCII control characters other than LF anywhere in the note.
  if (/[\u0000-\u0009\u000b-\u001f]/.test(msg)) return { ok: false, reason: 'malformed note: control character' };
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'malformed note: no blank line before the signatures' };
  const text = msg.slice(0, split + 1);
  let sigs = msg.slice(split + 2);
  if (sigs.length === 0 || !sigs.endsWith('\n')) return { ok: false, reason: 'malformed note: no signature lines' };
  let verified = 0;
  let count = 0;
  while (sigs.length > 0) {
    const nl = sigs.indexOf('\n');
    const line = sigs.slice(0, nl);
    sigs = sigs.slice(nl + 1);
    if (++count > MAX_SIGNATURES) return { ok: false, reason: 'malformed note: too many signatures' };
    if (!line.startsWith(SIG_PREFIX)) return { ok: false, reason: 'malformed note: signature line without "— "' };
    const rest = line.slice(SIG_PREFIX.length);
    const sp = rest.indexOf(' ');
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const b64 = sp < 0 ? '' : rest.slice(sp + 1);
    const sig = decodeBase64Strict(b64);
    if (!isValidKeyName(name) || b64 === '' || !sig || sig.length < 5) {
      return { ok: false, reason: 'malformed note: bad signature line' };
    }
    if (name !== v.name || !Buffer.from(sig.subarray(0, 4)).equals(Buffer.from(v.keyId))) continue; // unknown key
    const ok = sig.length === 68 && verifyEd25519(v.publicKey, Buffer.from(text, 'utf8'), sig.subarray(4));
    if (!ok) return { ok: false, reason: `invalid signature by ${v.name}` };
    verified++;
  }
  if (verified === 0) return { ok: false, reason: `no signature by ${v.name}+${Buffer.from(v.keyId).toString('hex')}` };
  return { ok: true, text };
}

/** The order of the Ed25519 base point, little-endian (RFC 8032 §5.1). */
const L_BYTES = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');

/**
 * An Ed25519 signature check (RFC 8032 §5.1.7) that refuses S ≥ L, as OpenSSL (verify.mjs)
 * and ed25519.js (verify.html) do. tweetnacl omits that step: since [S + L]B = [S]B, it
 * takes S + L too, a second signature for the same note that the auditors' verifiers refuse.
 */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || !scalarBelowL(signature.subarray(32))) return false;
  return nacl.sign.detached.verify(message, signature, publicKey);
}

function scalarBelowL(s: Uint8Array): boolean {
  for (let i = 31; i >= 0; i--) {
    if (s[i]! !== L_BYTES[i]!) return s[i]! < L_BYTES[i]!;
  }
  return false; // S = L
}

function textProblem(text: string): string | null {
  if (!text.endsWith('\n')) return 'text must end with a newline';
  if (text.includes('\n\n')) return 'text must not contain a blank line';
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) return 'text must not contain control characters';
  return null;
}

const B64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Standard base64 with padding, nothing else (Go's base64.StdEncoding is as strict). */
export function decodeBase64Strict(s: string): Uint8Array | null {
  if (!B64_RE.test(s)) return null;
  return new Uint8Array(Buffer.from(s, 'base64'));
}
