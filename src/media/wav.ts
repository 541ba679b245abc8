// WAV (RIFF and RF64) header reading and fixing, on bytes only.
//
// Why we read headers ourselves: ffmpeg reading a pipe stops at EOF and exits 0 whether or
// not the file was complete, so a recording the PBX cut off (crash, full disk, copy
// interrupted) would look fine. The data chunk's declared size tells us. And ffmpeg writing
// WAV to a pipe cannot seek back to fill in the sizes, so we do that for it.

export interface WavHeader {
  container: 'RIFF' | 'RF64';
  /** 1 = PCM, 6 = A-law, 7 = µ-law, 0x31 = GSM 6.10, 0xFFFE = extensible … */
  formatTag: number;
  channels: number;
  sampleRate: number;
  /** what the header says one second of audio takes (nAvgBytesPerSec) */
  byteRate: number;
  /** bytes per sample frame (all channels) */
  blockAlign: number;
  /** where the audio bytes start; null when the head we were given ends before them */
  dataOffset: number | null;
  /** what the header promises; null when it does not say (0 or 0xFFFFFFFF: streaming writers) */
  dataBytesDeclared: number | null;
}

const UNKNOWN32 = 0xffffffff;

/** Reads the header chunks of a WAV file; null when `buf` does not start like one. */
export function readWavHeader(buf: Buffer): WavHeader | null {
  if (buf.length < 12) return null;
  const magic = buf.toString('latin1', 0, 4);
  if ((magic !== 'RIFF' && magic !== 'RF64') || buf.toString('latin1', 8, 12) !== 'WAVE') return null;
  const h: WavHeader = { container: magic, formatTag: 0, channels: 0, sampleRate: 0, byteRate: 0, blockAlign: 0, dataOffset: null, dataBytesDeclared: null };
  let ds64Data: number | null = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('latin1', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'ds64' && body + 16 <= buf.length) {
      ds64Data = Number(buf.readBigUInt64LE(body + 8));
    } else if (id === 'fmt ' && body + 8 <= buf.length) {
      h.formatTag = buf.readUInt16LE(body);
      h.channels = buf.readUInt16LE(body + 2);
      h.sampleRate = buf.readUInt32LE(body + 4);
      if (body + 14 <= buf.length) {
        h.byteRate = buf.readUInt32LE(body + 8);
        h.blockAlign = buf.readUInt16LE(body + 12);
      }
    } else if (id === 'data') {
      h.dataOffset = body;
      if (magic === 'RF64' && size === UNKNOWN32) h.dataBytesDeclared = ds64Data;
      else h.dataBytesDeclared = size === 0 || size === UNKNOWN32 ? null : size;
      return h;
    }
    // chunks are padded to an even length (RIFF spec)
    off = body + size + (size & 1);
  }
  return h;
}

export interface WavCompleteness {
  truncated: boolean;
  /** bytes of audio the header promised but the file does not have */
  missingBytes: number;
}

/**
 * Compares the data chunk's declared size with the file's real size. Only the data chunk
 * counts: a file cut inside a trailing LIST chunk still holds all of its audio.
 */
export function wavCompleteness(head: Buffer, totalBytes: number): WavCompleteness {
  const h = readWavHeader(head);
  if (!h || h.dataOffset === null || h.dataBytesDeclared === null) return { truncated: false, missingBytes: 0 };
  const missing = h.dataOffset + h.dataBytesDeclared - totalBytes;
  return { truncated: missing > 0, missingBytes: Math.max(0, missing) };
}

/**
 * Fills in the RIFF and data sizes that ffmpeg leaves at 0xFFFFFFFF when it writes WAV to a
 * pipe (players then guess or refuse). Changes `wav` in place and returns it.
 */
export function finishWavHeader(wav: Buffer): Buffer {
  const h = readWavHeader(wav);
  if (!h || h.container !== 'RIFF' || h.dataOffset === null) return wav;
  if (wav.length - 8 > UNKNOWN32) return wav; // over 4 GiB: RIFF cannot say it
  wav.writeUInt32LE(wav.length - 8, 4);
  wav.writeUInt32LE(wav.length - h.dataOffset, h.dataOffset - 4);
  return wav;
}

/**
 * The header of a 16-bit PCM WAV whose data chunk holds `dataBytes`, for a stream that is
 * written before its samples exist: RIFF when the sizes fit in 32 bits, else RF64 (EBU
 * Tech 3306) with the real sizes in its ds64 chunk.
 */
export function pcmWavHeader(o: { channels: number; sampleRate: number; dataBytes: number }): Buffer {
  const blockAlign = o.channels * 2;
  const fmt = Buffer.alloc(24);
  fmt.write('fmt ', 0, 'latin1');
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(1, 8); // PCM
  fmt.writeUInt16LE(o.channels, 10);
  fmt.writeUInt32LE(o.sampleRate, 12);
  fmt.writeUInt32LE(o.sampleRate * blockAlign, 16);
  fmt.writeUInt16LE(blockAlign, 20);
  fmt.writeUInt16LE(16, 22);
  const riffSize = 4 + fmt.length + 8 + o.dataBytes;
  if (riffSize <= UNKNOWN32 - 1) {
    const head = Buffer.alloc(12);
    head.write('RIFF', 0, 'latin1');
    head.writeUInt32LE(riffSize, 4);
    head.write('WAVE', 8, 'latin1');
    const data = Buffer.alloc(8);
    data.write('data', 0, 'latin1');
    data.writeUInt32LE(o.dataBytes, 4);
    return Buffer.concat([head, fmt, data]);
  }
  const head = Buffer.alloc(12 + 36);
  head.write('RF64', 0, 'latin1');
  head.writeUInt32LE(UNKNOWN32, 4);
  head.write('WAVE', 8, 'latin1');
  head.write('ds64', 12, 'latin1');
  head.writeUInt32LE(28, 16);
  head.writeBigUInt64LE(BigInt(riffSize + 36), 20);
  head.writeBigUInt64LE(BigInt(o.dataBytes), 28);
  head.writeBigUInt64LE(BigInt(o.dataBytes / blockAlign), 36);
  head.writeUInt32LE(0, 44); // no table
  const data = Buffer.alloc(8);
  data.write('data', 0, 'latin1');
  data.writeUInt32LE(UNKNOWN32, 4);
  return Buffer.concat([head, fmt, data]);
}
