// FLAC STREAMINFO (RFC 9639 §8.2), read for the channel count and patched for the sample
// count: ffmpeg's FLAC muxer writing to a pipe cannot seek back to the header at the end
// ("unable to rewrite FLAC header"), so the stored file would claim an unknown length.

export interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  /** 0 = unknown */
  totalSamples: number;
}

// "fLaC" + 4-byte metadata block header, then STREAMINFO: the packed fields start 10 bytes in
const PACKED = 8 + 10;

function hasStreamInfo(buf: Buffer, base: number): boolean {
  return buf.length >= base + 34 && buf.toString('latin1', base - 8, base - 4) === 'fLaC' && (buf[base - 4]! & 0x7f) === 0;
}

/** `base` is the offset of STREAMINFO's body: 8 in a native FLAC file. */
export function readFlacStreamInfo(buf: Buffer, base = 8): FlacStreamInfo | null {
  if (!hasStreamInfo(buf, base)) return null;
  const p = base + 10;
  const sampleRate = (buf[p]! << 12) | (buf[p + 1]! << 4) | (buf[p + 2]! >> 4);
  const channels = ((buf[p + 2]! >> 1) & 7) + 1;
  const totalSamples = (buf[p + 3]! & 0x0f) * 2 ** 32 + buf.readUInt32BE(p + 4);
  return { sampleRate, channels, totalSamples };
}

/** Writes the 36-bit total sample count into a native FLAC file in place; returns it. */
export function setFlacTotalSamples(flac: Buffer, total: number): Buffer {
  if (!hasStreamInfo(flac, 8) || total < 0 || total >= 2 ** 36) return flac;
  flac[PACKED + 3] = (flac[PACKED + 3]! & 0xf0) | Math.floor(total / 2 ** 32);
  flac.writeUInt32BE(total % 2 ** 32, PACKED + 4);
  return flac;
}
