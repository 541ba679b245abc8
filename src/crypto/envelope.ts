import nacl from 'tweetnacl';
import { randomBytes } from 'node:crypto';
import { TresorError } from '../core/errors.ts';

/**
 * Chunked secretbox envelope (the STREAM construction of age, with XSalsa20-Poly1305):
 *
 *   header  = "TRE1" | u32be chunkSize | 16-byte random nonce prefix      (24 bytes)
 *   chunk i = secretbox(plain[i], prefix | u56be i | last?1:0, DEK)      (plain + 16)
 *
 * The last chunk carries flag 1 in its nonce, so cutting the envelope at a chunk
 * boundary fails to open (truncation detected), and reordering chunks fails too
 * (the counter is in the nonce). A fresh random prefix per envelope means one DEK can
 * seal audio and personal metadata without nonce reuse.
 */
export const ENVELOPE_MAGIC = Buffer.from('TRE1');
export const DEFAULT_CHUNK = 64 * 1024;
const HEADER = 24;
const TAG = nacl.secretbox.overheadLength;

function nonceFor(prefix: Uint8Array, counter: number, last: boolean): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix, 0);
  // 7-byte big-endian counter, written with arithmetic (no 32-bit shifts)
  let c = counter;
  for (let i = 22; i >= 16; i--) {
    n[i] = c % 256;
    c = Math.floor(c / 256);
  }
  n[23] = last ? 1 : 0;
  return n;
}

export function sealedLength(plainLength: number, chunkSize = DEFAULT_CHUNK): number {
  const chunks = Math.max(1, Math.ceil(plainLength / chunkSize));
  return HEADER + plainLength + chunks * TAG;
}

export function seal(dek: Uint8Array, plain: Uint8Array, chunkSize = DEFAULT_CHUNK): Buffer {
  if (dek.length !== 32) throw new TresorError('E_CRYPTO', 'data key must be 32 bytes');
  const prefix = randomBytes(16);
  const out = Buffer.allocUnsafe(sealedLength(plain.length, chunkSize));
  ENVELOPE_MAGIC.copy(out, 0);
  out.writeUInt32BE(chunkSize, 4);
  prefix.copy(out, 8);
  let pos = HEADER;
  const chunks = Math.max(1, Math.ceil(plain.length / chunkSize));
  for (let i = 0; i < chunks; i++) {
    const part = plain.subarray(i * chunkSize, Math.min(plain.length, (i + 1) * chunkSize));
    const box = nacl.secretbox(part, nonceFor(prefix, i, i === chunks - 1), dek);
    out.set(box, pos);
    pos += box.length;
  }
  return out;
}

export function open(dek: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < HEADER + TAG || !Buffer.from(sealed.subarray(0, 4)).equals(ENVELOPE_MAGIC)) {
    throw new TresorError('E_CRYPTO', 'not a Tresor envelope (bad magic or too short)');
  }
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  const chunkSize = buf.readUInt32BE(4);
  if (chunkSize < 1) throw new TresorError('E_CRYPTO', 'envelope chunk size is zero');
  const prefix = buf.subarray(8, 24);
  const body = buf.length - HEADER;
  const boxed = chunkSize + TAG;
  const chunks = Math.max(1, Math.ceil(body / boxed));
  // A tampered chunk size can promise more tags than there are bytes: refuse it as
  // damage, not with a RangeError from the allocation below.
  if (body < chunks * TAG) throw new TresorError('E_CRYPTO', 'envelope header does not match its length: tampered');
  const out = Buffer.allocUnsafe(body - chunks * TAG);
  let outPos = 0;
  for (let i = 0; i < chunks; i++) {
    const start = HEADER + i * boxed;
    const box = buf.subarray(start, Math.min(buf.length, start + boxed));
    const last = i === chunks - 1;
    const plain = box.length >= TAG ? nacl.secretbox.open(box, nonceFor(prefix, i, last), dek) : null;
    if (!plain) {
      throw new TresorError('E_CRYPTO', last
        ? `envelope chunk ${i} does not open as the final chunk: truncated or tampered`
        : `envelope chunk ${i} does not open: tampered or wrong key`);
    }
    out.set(plain, outPos);
    outPos += plain.length;
  }
  return out;
}

/** Plaintext length of an envelope, from its header and length alone (no key needed). */
export function plainLength(sealed: Uint8Array): number {
  if (sealed.length < HEADER + TAG) throw new TresorError('E_CRYPTO', 'not a Tresor envelope (too short)');
  const chunkSize = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length).readUInt32BE(4);
  if (chunkSize < 1) throw new TresorError('E_CRYPTO', 'envelope chunk size is zero');
  const body = sealed.length - HEADER;
  const chunks = Math.max(1, Math.ceil(body / (chunkSize + TAG)));
  if (body < chunks * TAG) throw new TresorError('E_CRYPTO', 'envelope header does not match its length: tampered');
  return body - chunks * TAG;
}

/**
 * Bytes [start, end) of the plaintext, opening only the chunks that hold them: an HTTP
 * Range request for the middle of a long call does not decrypt the whole call. Every
 * chunk opened is authenticated with its position and final flag, so a partial read is
 * as tamper-evident as a full one for the bytes it returns.
 */
export function openRange(dek: Uint8Array, sealed: Uint8Array, start: number, end: number): Buffer {
  return Buffer.concat([...openRangeChunks(dek, sealed, start, end)]);
}

/** The same bytes as openRange, one chunk at a time: a response can start after the first. */
export function* openRangeChunks(dek: Uint8Array, sealed: Uint8Array, start: number, end: number): Generator<Buffer> {
  const total = plainLength(sealed);
  if (start < 0 || end > total || start > end) throw new TresorError('E_RANGE', `range ${start}-${end} outside 0-${total}`);
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
  if (!buf.subarray(0, 4).equals(ENVELOPE_MAGIC)) throw new TresorError('E_CRYPTO', 'not a Tresor envelope (bad magic)');
  const chunkSize = buf.readUInt32BE(4);
  const prefix = buf.subarray(8, 24);
  const boxed = chunkSize + TAG;
  const chunks = Math.max(1, Math.ceil((buf.length - HEADER) / boxed));
  if (start === end) return;
  const first = Math.floor(start / chunkSize);
  const last = Math.floor((end - 1) / chunkSize);
  for (let i = first; i <= last; i++) {
    const pos = HEADER + i * boxed;
    const box = buf.subarray(pos, Math.min(buf.length, pos + boxed));
    const plain = nacl.secretbox.open(box, nonceFor(prefix, i, i === chunks - 1), dek);
    if (!plain) throw new TresorError('E_CRYPTO', `envelope chunk ${i} does not open: tampered or wrong key`);
    const from = i === first ? start - i * chunkSize : 0;
    const to = i === last ? end - i * chunkSize : plain.length;
    yield Buffer.from(plain.buffer, plain.byteOffset + from, to - from);
  }
}

/**
 * seal() for a plaintext that arrives in pieces of any size (a file being read, ffmpeg's
 * output): yields the same envelope format, header first, one sealed chunk at a time, so
 * neither the plaintext nor the envelope is ever whole in memory. The length must be
 * known up front (the last chunk carries the final flag); a source that yields more or
 * fewer bytes throws E_CRYPTO before the last chunk goes out, so a short read can never
 * produce an envelope that opens.
 */
export async function* sealStream(
  dek: Uint8Array, plainLength: number, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, chunkSize = DEFAULT_CHUNK,
): AsyncGenerator<Buffer> {
  if (dek.length !== 32) throw new TresorError('E_CRYPTO', 'data key must be 32 bytes');
  const prefix = randomBytes(16);
  const header = Buffer.allocUnsafe(HEADER);
  ENVELOPE_MAGIC.copy(header, 0);
  header.writeUInt32BE(chunkSize, 4);
  prefix.copy(header, 8);
  yield header;
  const chunks = Math.max(1, Math.ceil(plainLength / chunkSize));
  let index = 0;
  let seen = 0;
  let pending: Buffer = Buffer.alloc(0);
  const box = (part: Uint8Array, last: boolean) => Buffer.from(nacl.secretbox(part, nonceFor(prefix, index++, last), dek));
  for await (const piece of source) {
    seen += piece.length;
    if (seen > plainLength) throw new TresorError('E_CRYPTO', `sealing: the source gave more than the ${plainLength} bytes announced`);
    pending = pending.length ? Buffer.concat([pending, piece]) : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    // a full chunk is final only if nothing follows it: keep the last one back
    while (pending.length > chunkSize || (pending.length === chunkSize && index < chunks - 1)) {
      yield box(pending.subarray(0, chunkSize), false);
      pending = pending.subarray(chunkSize);
    }
  }
  if (seen !== plainLength) throw new TresorError('E_CRYPTO', `sealing: the source ended after ${seen} of ${plainLength} bytes`);
  yield box(pending, true);
}

/**
 * open() for an envelope that arrives in pieces (a file being read): yields the plaintext
 * chunk by chunk, each authenticated before it is given out. A chunk is final only at the
 * end of the source, so a cut-off envelope throws at its end, after the good chunks.
 */
export async function* openStream(dek: Uint8Array, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Buffer> {
  let buf: Buffer = Buffer.alloc(0);
  let prefix: Buffer | null = null;
  let boxed = 0;
  let index = 0;
  const unbox = (box: Uint8Array, last: boolean): Buffer => {
    const plain = box.length >= TAG ? nacl.secretbox.open(box, nonceFor(prefix!, index, last), dek) : null;
    if (!plain) {
      throw new TresorError('E_CRYPTO', last
        ? `envelope chunk ${index} does not open as the final chunk: truncated or tampered`
        : `envelope chunk ${index} does not open: tampered or wrong key`);
    }
    index++;
    return Buffer.from(plain.buffer, plain.byteOffset, plain.length);
  };
  for await (const piece of source) {
    buf = buf.length ? Buffer.concat([buf, piece]) : Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    if (!prefix) {
      if (buf.length < HEADER) continue;
      if (!buf.subarray(0, 4).equals(ENVELOPE_MAGIC)) throw new TresorError('E_CRYPTO', 'not a Tresor envelope (bad magic)');
      const chunkSize = buf.readUInt32BE(4);
      if (chunkSize < 1) throw new TresorError('E_CRYPTO', 'envelope chunk size is zero');
      boxed = chunkSize + TAG;
      prefix = Buffer.from(buf.subarray(8, HEADER));
      buf = buf.subarray(HEADER);
    }
    // more bytes after a whole box: that box is not the last one
    while (buf.length > boxed) {
      yield unbox(buf.subarray(0, boxed), false);
      buf = buf.subarray(boxed);
    }
  }
  if (!prefix) throw new TresorError('E_CRYPTO', 'not a Tresor envelope (too short)');
  yield unbox(buf, true);
}
