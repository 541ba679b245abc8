// ffmpeg argument lists, built as data so tests can check them flag by flag without
// running ffmpeg. Every run reads the recording from stdin and writes the result to stdout:
// no path of ours or of the PBX ever appears on the command line. Pure.

import { TresorError } from '../core/errors.ts';
import { ALLOWED_DEMUXERS, type InputFormat } from './formats.ts';

export type OutputSpec =
  /** kbps is the total for all channels (see opusKbps) */
  | { kind: 'opus'; kbps: number; compressionLevel: number }
  | { kind: 'flac'; compressionLevel: number }
  /** 16-bit PCM WAV for playback and export; sampleRate omitted = the decoder's own */
  | { kind: 'wav'; sampleRate?: number }
  /** raw 16-bit little-endian PCM at a fixed rate and channel count: a streamed WAV download writes its own header */
  | { kind: 'pcm'; sampleRate: number; channels: number }
  /** decode only, to read the stream info and duration ('original' storage) */
  | { kind: 'probe' };

/** Opus has no per-channel bitrate setting, so stereo (agent | customer) gets twice the mono rate. */
export function opusKbps(kbpsPerChannel: number, channels: number): number {
  return kbpsPerChannel * Math.max(1, channels);
}

export function buildArgs(input: InputFormat, output: OutputSpec): string[] {
  return [...globalArgs(), ...inputArgs(input), ...mappingArgs(), ...codecArgs(output), ...sinkArgs(output)];
}

export function globalArgs(): string[] {
  return [
    // ffmpeg reads its stdin as the keyboard ('q' quits, '?' prints help) unless told not to.
    // Our stdin carries the recording, whose bytes must never be taken as commands.
    // This does not stop `-i pipe:0` from reading it.
    '-nostdin',
    '-hide_banner',
    // the "Stream #0:0: Audio: …" line we parse the source's codec from is printed at info
    '-loglevel', 'info',
    // key=value progress blocks (out_time_us, total_size, progress=end) about twice a second:
    // the stall watchdog's heartbeat and the duration. -nostats drops the human "size= time="
    // lines that end in \r. stderr, because stdout carries the audio.
    '-nostats', '-progress', 'pipe:2',
  ];
}

export function inputArgs(input: InputFormat): string[] {
  if (!ALLOWED_DEMUXERS.has(input.demuxer)) {
    throw new TresorError('E_UNSUPPORTED_FORMAT', `demuxer "${input.demuxer}" is not on the allow-list`, { detail: { demuxer: input.demuxer } });
  }
  checkDemuxerOptions(input.inputArgs);
  return [
    // the demuxer may open nothing but our pipe: a format that references other files or
    // URLs (playlists, concat, image sequences) fails instead of reading them
    '-protocol_whitelist', 'pipe',
    // never let ffmpeg probe the format: it would believe the content (DESIGN §5)
    '-f', input.demuxer,
    ...input.inputArgs,
    '-i', 'pipe:0',
  ];
}

/** Raw demuxers need the rate and channel count; nothing else may reach the input side. */
function checkDemuxerOptions(args: string[]): void {
  const ok = args.length % 2 === 0 && args.every((a, i) => (i % 2 === 0 ? a === '-ar' || a === '-ac' : /^[1-9]\d{0,5}$/.test(a)));
  if (!ok) throw new TresorError('E_INTERNAL', `refused demuxer options: ${JSON.stringify(args)}`);
}

export function mappingArgs(): string[] {
  return [
    // a call is one audio stream; cover art in MP3s or a second track must not decide the output
    '-map', '0:a:0',
    // redundant with the map, kept so that a change to the map cannot pull in video,
    // subtitle or data streams
    '-vn', '-sn', '-dn',
    // tags and chapters may hold names and numbers (ID3 title "Call from +49…"): never copied
    '-map_metadata', '-1', '-map_chapters', '-1',
    // no "encoder=Lavf…" tag and fixed Ogg serial numbers: the same input gives the same bytes
    '-fflags', '+bitexact',
  ];
}

export function codecArgs(output: OutputSpec): string[] {
  switch (output.kind) {
    case 'opus':
      checkRange('opus bitrate (kbit/s)', output.kbps, 6, 510);
      checkRange('opus compression level', output.compressionLevel, 0, 10);
      return [
        '-c:a', 'libopus',
        // tuned for speech intelligibility (SILK at low rates), not music
        '-application', 'voip',
        '-b:a', `${output.kbps}k`,
        '-compression_level', String(output.compressionLevel),
        // No -ar 48000: Opus always decodes at 48 kHz, and the encoder given the source's own
        // rate (8 kHz from a PBX) limits the coded band to what is there. Upsampling first
        // made a 60 s 8 kHz call 1.7–2.9x slower to encode and up to 23 % larger.
      ];
    case 'flac':
      checkRange('flac compression level', output.compressionLevel, 0, 12);
      return [
        '-c:a', 'flac',
        '-compression_level', String(output.compressionLevel),
        // float decoders (MP3, Opus) would otherwise make ffmpeg pick 24-bit FLAC: larger,
        // and telephone audio has no more than 16 bits to keep
        '-sample_fmt', 's16',
      ];
    case 'wav':
      return ['-c:a', 'pcm_s16le', ...(output.sampleRate ? ['-ar', String(output.sampleRate)] : [])];
    case 'pcm':
      checkRange('sample rate', output.sampleRate, 1000, 384000);
      checkRange('channel count', output.channels, 1, 8);
      // both fixed: the WAV header is written before the first sample, from these values
      return ['-c:a', 'pcm_s16le', '-ar', String(output.sampleRate), '-ac', String(output.channels)];
    case 'probe':
      return [];
  }
}

export function sinkArgs(output: OutputSpec): string[] {
  switch (output.kind) {
    case 'opus':
      return ['-f', 'ogg', 'pipe:1'];
    case 'flac':
      return ['-f', 'flac', 'pipe:1'];
    case 'wav':
      // RIFF sizes stay 0xFFFFFFFF on a pipe; finishWavHeader fills them in
      return ['-f', 'wav', 'pipe:1'];
    case 'pcm':
      return ['-f', 's16le', 'pipe:1'];
    case 'probe':
      return ['-f', 'null', '-'];
  }
}

function checkRange(what: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new TresorError('E_CONFIG', `${what} must be an integer from ${min} to ${max}, got ${v}`);
  }
}
