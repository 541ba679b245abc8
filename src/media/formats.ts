// Which demuxer reads a file: chosen here, from an allow-list, by the file's first bytes.
//
// ffmpeg left to guess (no -f) trusts content over names in dangerous ways: a ".wav" that is
// an HLS playlist or an ffconcat script makes ffmpeg open the files and URLs it lists
// (DESIGN §5). So magic bytes pick the demuxer, raw formats (which have no magic) are taken
// by extension only when nothing else matched and the bytes are not text, and everything
// else is refused before any process starts. Pure: no I/O.

import { extname } from 'node:path';
import { TresorError } from '../core/errors.ts';
import { readFlacStreamInfo } from './flac.ts';
import { id3Size, mpegStreamAt } from './mpeg.ts';
import { readWavHeader } from './wav.ts';

export interface InputFormat {
  /** an ffmpeg demuxer from ALLOWED_DEMUXERS, passed as `-f` */
  demuxer: string;
  /** further input options the demuxer needs (raw formats: rate and channels); never `-f` or `-i` */
  inputArgs: string[];
  /** for people: "WAV (RIFF)", "raw µ-law 8 kHz" … */
  label: string;
  /** channel count the header announces, null when the head does not tell (sizes the Opus bitrate) */
  channelsHint: number | null;
}

export const ALLOWED_DEMUXERS: ReadonlySet<string> = new Set(['wav', 'mp3', 'ogg', 'flac', 'mulaw', 'alaw', 's16le', 'gsm']);

/** How many leading bytes sniffInput wants; fewer only when the file is shorter. */
export const SNIFF_BYTES = 4096;

const RAW_BY_EXTENSION: Record<string, Omit<InputFormat, 'channelsHint'>> = {
  '.ulaw': rawFormat('mulaw', 8000, 'raw µ-law 8 kHz'),
  '.ul': rawFormat('mulaw', 8000, 'raw µ-law 8 kHz'),
  '.mulaw': rawFormat('mulaw', 8000, 'raw µ-law 8 kHz'),
  '.alaw': rawFormat('alaw', 8000, 'raw A-law 8 kHz'),
  '.al': rawFormat('alaw', 8000, 'raw A-law 8 kHz'),
  '.sln': rawFormat('s16le', 8000, 'raw signed linear 8 kHz'),
  '.raw': rawFormat('s16le', 8000, 'raw signed linear 8 kHz'),
  '.sln16': rawFormat('s16le', 16000, 'raw signed linear 16 kHz'),
  // the gsm demuxer knows its channel layout; it takes only the rate
  '.gsm': { demuxer: 'gsm', inputArgs: ['-ar', '8000'], label: 'raw GSM 06.10 8 kHz' },
};

function rawFormat(demuxer: string, rate: number, label: string): Omit<InputFormat, 'channelsHint'> {
  return { demuxer, inputArgs: ['-ar', String(rate), '-ac', '1'], label };
}

// Recognised only to say what a refused file is.
const NOT_ALLOWED: Array<[test: (b: Buffer) => boolean, what: string]> = [
  [(b) => starts(b, 'RIFF') && !starts(b, 'WAVE', 8), 'a RIFF file that is not WAVE (e.g. AVI)'],
  [(b) => starts(b, 'ftyp', 4), 'an MP4/M4A/3GP container'],
  [(b) => starts(b, '\x1a\x45\xdf\xa3'), 'a Matroska/WebM container'],
  [(b) => starts(b, 'FORM') && (starts(b, 'AIFF', 8) || starts(b, 'AIFC', 8)), 'an AIFF file'],
  [(b) => starts(b, '.snd'), 'a Sun/NeXT AU file'],
  [(b) => starts(b, 'PK\x03\x04'), 'a ZIP archive'],
  [(b) => starts(b, '\x1f\x8b'), 'gzip-compressed data'],
  [(b) => starts(b, '%PDF'), 'a PDF document'],
];

function starts(b: Buffer, magic: string, at = 0): boolean {
  return b.length >= at + magic.length && b.toString('latin1', at, at + magic.length) === magic;
}

function unsupported(message: string, detected: string): TresorError {
  return new TresorError('E_UNSUPPORTED_FORMAT', message, { detail: { detected } });
}

/**
 * Chooses the demuxer for a recording from its first bytes (give it SNIFF_BYTES, or the
 * whole file when shorter) and its name. Throws E_EMPTY_FILE or E_UNSUPPORTED_FORMAT.
 */
export function sniffInput(head: Buffer, fileName: string): InputFormat {
  if (head.length === 0) throw new TresorError('E_EMPTY_FILE', 'the file is empty (0 bytes)');
  const byMagic = sniffMagic(head);
  if (byMagic) return byMagic;
  const text = describeText(head);
  if (text) throw unsupported(`refused: the file is ${text.what}, not audio${text.why}`, text.detected);
  const other = NOT_ALLOWED.find(([test]) => test(head));
  if (other) throw unsupported(`refused: the file is ${other[1]}, which is not an accepted recording format`, other[1]);
  const ext = extname(fileName).toLowerCase();
  const raw = RAW_BY_EXTENSION[ext];
  if (raw && (raw.demuxer !== 'gsm' || looksLikeRawGsm(head))) return { ...raw, inputArgs: [...raw.inputArgs], channelsHint: 1 };
  const hex = head.subarray(0, 8).toString('hex').replace(/(..)(?!$)/g, '$1 ');
  const named = ext ? ` although it is named "${ext}"` : '';
  throw unsupported(`refused: unrecognised content (first bytes ${hex})${named}; accepted are WAV, MP3, Ogg, FLAC and raw .ulaw/.alaw/.sln/.gsm`, 'unknown binary');
}

function sniffMagic(b: Buffer): InputFormat | null {
  const wav = readWavHeader(b);
  if (wav) return { demuxer: 'wav', inputArgs: [], label: `WAV (${wav.container})`, channelsHint: wav.channels || null };
  if (starts(b, 'OggS')) return { demuxer: 'ogg', inputArgs: [], label: 'Ogg', channelsHint: oggChannels(b) };
  if (starts(b, 'fLaC')) return { demuxer: 'flac', inputArgs: [], label: 'FLAC', channelsHint: readFlacStreamInfo(b)?.channels ?? null };
  const tag = id3Size(b);
  if (tag > 0) return { demuxer: 'mp3', inputArgs: [], label: 'MP3 (ID3)', channelsHint: mpegStreamAt(b, tag)?.channels ?? null };
  const frame = mpegStreamAt(b, 0);
  if (frame) return { demuxer: 'mp3', inputArgs: [], label: 'MP3', channelsHint: frame.channels };
  return null;
}

/** Channel count from the first Ogg page's identification header (Opus or Vorbis). */
function oggChannels(b: Buffer): number | null {
  if (b.length < 27) return null;
  const packet = 27 + b[26]!;
  if (starts(b, 'OpusHead', packet) && b.length > packet + 9) return b[packet + 9]!;
  if (starts(b, '\x01vorbis', packet) && b.length > packet + 11) return b[packet + 11]!;
  return null;
}

/** Raw GSM 06.10 is 33-byte frames whose first byte's high nibble is 0xD (the magic of the format). */
function looksLikeRawGsm(b: Buffer): boolean {
  const frames = Math.floor(b.length / 33);
  if (frames === 0) return false;
  for (let i = 0; i < frames; i++) if (b[i * 33]! >> 4 !== 0xd) return false;
  return true;
}

function describeText(b: Buffer): { what: string; why: string; detected: string } | null {
  const start = b.toString('latin1', 0, 64).replace(/^\xef\xbb\xbf/, '').trimStart();
  if (start.startsWith('#EXTM3U')) {
    return { what: 'an HLS/M3U playlist (#EXTM3U)', why: '; playlists make ffmpeg open the files they list', detected: 'hls-playlist' };
  }
  if (/^ffconcat version/i.test(start)) {
    return { what: 'an ffconcat script', why: '; concat scripts make ffmpeg open the files they list', detected: 'ffconcat' };
  }
  return isText(b) ? { what: 'text', why: '', detected: 'text' } : null;
}

/**
 * Printable ASCII/UTF-8 with line breaks only. Audio almost never passes: silence in µ-law
 * is 0xFF/0x7F, in linear PCM 0x00, and speech spreads over all byte values.
 */
function isText(b: Buffer): boolean {
  const n = Math.min(b.length, 4096);
  if (n < 8) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0x09 || c === 0x0a || c === 0x0d || (c >= 0x20 && c < 0x7f) || c >= 0x80) continue;
    return false;
  }
  // bytes ≥ 0x80 must form valid UTF-8, or µ-law noise of loud speech could pass (a
  // character cut at the end of the head is allowed: `stream` keeps it pending)
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, n), { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * The input format of a stored recording, for decoding it again: 'opus' and 'flac' are our
 * own outputs; 'original:<label>' (what ingest records for untouched originals) is sniffed
 * again, the label standing in for the file name that raw formats need.
 */
export function storedInputFormat(stored: Buffer, storedFormat: string): InputFormat {
  if (storedFormat === 'opus') return { demuxer: 'ogg', inputArgs: [], label: 'Ogg', channelsHint: null };
  if (storedFormat === 'flac') return { demuxer: 'flac', inputArgs: [], label: 'FLAC', channelsHint: null };
  const label = storedFormat.replace(/^original:/, '');
  const ext = Object.keys(RAW_BY_EXTENSION).find((e) => RAW_BY_EXTENSION[e]!.label === label) ?? label;
  return sniffInput(stored.subarray(0, SNIFF_BYTES), `stored${ext.startsWith('.') ? ext : ''}`);
}
