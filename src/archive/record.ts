import { createHash } from 'node:crypto';
import { TresorError } from '../core/errors.ts';

// Byte layout of a segment file and its records; FORMAT.md beside this file is the spec.

export const SEGMENT_MAGIC = Buffer.from('TRSEG001');
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_MAGIC = Buffer.from('TREC');
export const RECORD_HEADER_BYTES = 48;
export const RECORD_TRAILER_BYTES = 32;
const ID_BYTES = 26;

export function segmentHeader(): Buffer {
  const h = Buffer.alloc(SEGMENT_HEADER_BYTES);
  SEGMENT_MAGIC.copy(h, 0);
  return h;
}

export function recordLength(payloadLength: number): number {
  return RECORD_HEADER_BYTES + payloadLength + RECORD_TRAILER_BYTES;
}

/** The 48-byte record header for a payload of `payloadLength` bytes (FORMAT.md, Record). */
export function encodeRecordHeader(id: string, payloadLength: number): Buffer {
  if (Buffer.byteLength(id) !== ID_BYTES) throw new TresorError('E_INTERNAL', `record id must be ${ID_BYTES} bytes`);
  const h = Buffer.alloc(RECORD_HEADER_BYTES);
  RECORD_MAGIC.copy(h, 0);
  h[4] = 1; // version
  h.writeBigUInt64BE(BigInt(payloadLength), 8);
  h.write(id, 16, 'ascii');
  return h;
}

export function encodeRecord(id: string, payload: Buffer): Buffer {
  if (Buffer.byteLength(id) !== ID_BYTES) throw new TresorError('E_INTERNAL', `record id must be ${ID_BYTES} bytes`);
  const out = Buffer.allocUnsafe(recordLength(payload.length));
  out.fill(0, 0, RECORD_HEADER_BYTES);
  RECORD_MAGIC.copy(out, 0);
  out[4] = 1; // version
  out.writeBigUInt64BE(BigInt(payload.length), 8);
  out.write(id, 16, 'ascii');
  payload.copy(out, RECORD_HEADER_BYTES);
  const end = RECORD_HEADER_BYTES + payload.length;
  createHash('sha256').update(out.subarray(0, end)).digest().copy(out, end);
  return out;
}

/** Checks a whole record read from disk; returns its id and payload or says what is wrong. */
export function decodeRecord(buf: Buffer): { id: string; payload: Buffer } {
  if (buf.length < RECORD_HEADER_BYTES + RECORD_TRAILER_BYTES || !buf.subarray(0, 4).equals(RECORD_MAGIC)) {
    throw new TresorError('E_INTEGRITY', 'record header missing or damaged');
  }
  if (buf[4] !== 1) throw new TresorError('E_INTEGRITY', `unknown record version ${buf[4]}`);
  const len = Number(buf.readBigUInt64BE(8));
  if (recordLength(len) !== buf.length) {
    throw new TresorError('E_INTEGRITY', `record length ${recordLength(len)} does not match the index (${buf.length})`);
  }
  const end = RECORD_HEADER_BYTES + len;
  const want = createHash('sha256').update(buf.subarray(0, end)).digest();
  if (!want.equals(buf.subarray(end))) throw new TresorError('E_INTEGRITY', 'record checksum mismatch: bytes changed on disk');
  return { id: buf.toString('ascii', 16, 16 + ID_BYTES), payload: buf.subarray(RECORD_HEADER_BYTES, end) };
}
