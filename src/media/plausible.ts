// What a recording's header promises, checked before any ffmpeg run (pure, no I/O).
//
// Why: ffmpeg believes the header. A 1 MB WAV whose header says 1 Hz is 138 hours of
// audio to it; the Opus encoder needs 8 kHz or more, so ffmpeg resampled 8000 output
// samples per input sample and held a worker until the time limit, three times over
// (issue 16). The same numbers size the free-space check before the transcode (issue 9:
// a full disk made every rescan transcode a file, then defer it).

import { TresorError } from '../core/errors.ts';
import type { StoreFormat } from '../config/schema.ts';
import { readFlacStreamInfo } from './flac.ts';
import type { InputFormat } from './formats.ts';
import { readWavHeader } from './wav.ts';

/** Longer than this is not a call (README: a whole working day is 8–10 h). */
export const MAX_CALL_SECONDS = 24 * 3600;
/** Telephony is 8 kHz; below 4 kHz nothing is intelligible, above 384 kHz no recorder writes. */
export const MIN_SAMPLE_RATE = 4000;
export const MAX_SAMPLE_RATE = 384_000;
const MAX_CHANNELS = 8;

// WAV format tags whose data is plain sample frames: duration = data / (rate × blockAlign)
const FRAME_CODED = new Set([1, 3, 6, 7, 0xfffe]);

export interface InputFacts {
  /** what the header (or the raw format and the size) says the audio lasts; null = cannot tell */
  seconds: number | null;
  sampleRate: number | null;
  channels: number | null;
}

function bad(message: string, detail: Record<string, unknown>): TresorError {
  return new TresorError('E_BAD_HEADER', message, { detail });
}

function checkRate(rate: number, what: string): void {
  if (!(rate >= MIN_SAMPLE_RATE && rate <= MAX_SAMPLE_RATE)) {
    throw bad(`the ${what} header says ${rate} Hz; recordings are ${MIN_SAMPLE_RATE}–${MAX_SAMPLE_RATE} Hz. ` +
      'Refused before decoding: ffmpeg would resample it for hours.', { sampleRate: rate });
  }
}

function checkSeconds(seconds: number, what: string): void {
  if (seconds > MAX_CALL_SECONDS) {
    throw bad(`the ${what} header promises ${(seconds / 3600).toFixed(1)} hours of audio in this file; ` +
      `a call is at most ${MAX_CALL_SECONDS / 3600} hours. Refused before decoding.`, { seconds: Math.round(seconds) });
  }
}

/**
 * Reads the facts the header states and refuses impossible ones with E_BAD_HEADER.
 * `head` is the file's first bytes (64 KiB is plenty), `size` the whole file's length.
 */
export function inspectInput(fmt: InputFormat, head: Buffer, size: number): InputFacts {
  if (fmt.demuxer === 'wav') {
    const h = readWavHeader(head);
    if (!h) return { seconds: null, sampleRate: null, channels: null };
    checkRate(h.sampleRate, 'WAV');
    if (h.channels < 1 || h.channels > MAX_CHANNELS) throw bad(`the WAV header says ${h.channels} channels`, { channels: h.channels });
    const dataBytes = Math.max(0, Math.min(h.dataBytesDeclared ?? Infinity, size - (h.dataOffset ?? 44)));
    // the slower of the two readings counts: ffmpeg uses rate × blockAlign for PCM and
    // G.711, the byte rate for the rest
    const perSecond = [h.byteRate, FRAME_CODED.has(h.formatTag) ? h.sampleRate * h.blockAlign : 0].filter((v) => v > 0);
    if (perSecond.length === 0) throw bad('the WAV header says the audio takes 0 bytes per second', { byteRate: h.byteRate });
    const seconds = dataBytes / Math.min(...perSecond);
    checkSeconds(seconds, 'WAV');
    return { seconds, sampleRate: h.sampleRate, channels: h.channels };
  }
  if (fmt.demuxer === 'flac') {
    const info = readFlacStreamInfo(head);
    if (!info) return { seconds: null, sampleRate: null, channels: null };
    checkRate(info.sampleRate, 'FLAC');
    const seconds = info.totalSamples > 0 ? info.totalSamples / info.sampleRate : null;
    if (seconds !== null) checkSeconds(seconds, 'FLAC');
    return { seconds, sampleRate: info.sampleRate, channels: info.channels };
  }
  const rate = rawRate(fmt);
  if (rate !== null) {
    // raw formats have no header: the size and the format's fixed rate are the duration
    const bytesPerSecond = fmt.demuxer === 's16le' ? rate * 2 : fmt.demuxer === 'gsm' ? 1650 : rate;
    const seconds = size / bytesPerSecond;
    checkSeconds(seconds, `raw ${fmt.label}`);
    return { seconds, sampleRate: rate, channels: 1 };
  }
  return { seconds: null, sampleRate: null, channels: fmt.channelsHint };
}

function rawRate(fmt: InputFormat): number | null {
  if (!['mulaw', 'alaw', 's16le', 'gsm'].includes(fmt.demuxer)) return null;
  const i = fmt.inputArgs.indexOf('-ar');
  return i >= 0 ? Number(fmt.inputArgs[i + 1]) : null;
}

/**
 * About how many bytes the stored form will take, before transcoding: what the free-space
 * check needs so that a file that cannot be stored is not transcoded first. Errs high.
 */
export function estimateStoredBytes(
  facts: InputFacts, size: number,
  target: { format: StoreFormat; kbpsPerChannel: number },
): number {
  const channels = Math.max(1, facts.channels ?? 1);
  switch (target.format) {
    case 'original':
      return size;
    case 'opus':
      // the bitrate is the output size; Ogg pages add ~1 %, the headers a few KiB
      return facts.seconds === null ? size : Math.ceil(facts.seconds * target.kbpsPerChannel * channels * 125 * 1.1) + 64 * 1024;
    case 'flac':
      // lossless: at most the 16-bit PCM it decodes to
      return facts.seconds === null || facts.sampleRate === null ? size * 2 : Math.ceil(facts.seconds * facts.sampleRate * channels * 2) + 64 * 1024;
  }
}
