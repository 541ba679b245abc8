// media: the only code that starts ffmpeg. Ingest asks it to transcode a recording and to
// tell what the source was; access and export ask it to decode a stored recording to WAV.
//
//   const ff = await resolveFfmpeg(config.ffmpeg);            // once, at start
//   const media = createMedia(ff, { timeoutMs, stallMs });
//   const fmt = sniffInput(head, fileName);                     // refuses before any spawn
//   const r = await media.transcode(bytesOrStream, fmt, { format: 'opus', kbpsPerChannel: 16, compressionLevel: 5 });
//
// Errors (TresorError codes): E_EMPTY_FILE, E_UNSUPPORTED_FORMAT (from sniffInput),
// E_NO_AUDIO (nothing decodable), E_DECODE_FAILED (ffmpeg gave up; detail.stderr says why),
// E_FFMPEG_TIMEOUT (retryable: killed by the time or stall limit), E_FFMPEG_MISSING.

import type { Readable } from 'node:stream';
import type { StoreFormat } from '../config/schema.ts';
import { TresorError, isTresorError } from '../core/errors.ts';
import { buildArgs, codecArgs, globalArgs, inputArgs, mappingArgs, opusKbps, sinkArgs, type OutputSpec } from './args.ts';
import { readFlacStreamInfo, setFlacTotalSamples } from './flac.ts';
import { storedInputFormat, type InputFormat } from './formats.ts';
import type { FfmpegInfo } from './resolve.ts';
import { runFfmpeg, type RunResult } from './run.ts';
import { decoderWarnings } from './stderr.ts';
import { finishWavHeader, wavCompleteness } from './wav.ts';
import { createPool, type PoolLimits } from './pool.ts';
import { streamWav, type WavDownload, type WavSource } from './wav-stream.ts';

export { resolveFfmpeg, type FfmpegInfo } from './resolve.ts';
export { sniffInput, storedInputFormat, SNIFF_BYTES, ALLOWED_DEMUXERS, type InputFormat } from './formats.ts';
export { buildArgs, opusKbps, type OutputSpec } from './args.ts';
export { readWavHeader, wavCompleteness, type WavHeader } from './wav.ts';
export { OGG_TAIL_BYTES, wavShape, type WavDownload, type WavSource } from './wav-stream.ts';
export { RETRY_AFTER_SECONDS, type PoolLimits } from './pool.ts';
export { inspectInput, estimateStoredBytes, MAX_CALL_SECONDS, type InputFacts } from './plausible.ts';
export { HEAD_BYTES } from './run.ts';
export { spotKeywords, pocketsphinxAvailable, parseKwsOutput, EN_US_MODEL, type KeywordHit } from './pocketsphinx.ts';
export { detectDtmf, firstConsentDigit, type DtmfDigit, type DtmfOptions } from './dtmf.ts';

export interface MediaOptions {
  /** hard limit for one ffmpeg run */
  timeoutMs: number;
  /** kill a run that shows no progress this long */
  stallMs: number;
  /**
   * ffmpeg runs at once (default: unlimited); further runs wait their turn, in order.
   * Ingest sets it to its worker count, so files can be read, hashed, sealed and committed
   * while the CPU stays busy transcoding the next ones. Waiting does not count towards
   * the time limits.
   */
  maxConcurrent?: number;
  /**
   * WAV downloads' own ffmpeg slots and wait line (default 2 and 4), apart from ingest's:
   * a download never waits behind transcodes, and a burst of downloads cannot starve ingest.
   */
  downloads?: PoolLimits;
}

export interface TranscodeTarget {
  format: StoreFormat;
  kbpsPerChannel: number;
  /** Opus 0..10 (encoder effort), FLAC 0..12 */
  compressionLevel: number;
  /**
   * 'original' from a streamed input: keep every input byte for `output` (default true).
   * Ingest says false and seals the file itself, so a 1 GB original never sits in memory.
   */
  keepOriginal?: boolean;
}

export interface MediaResult {
  /** the stored bytes: Ogg/Opus, FLAC, or for 'original' the input itself */
  output: Buffer;
  durationMs: number;
  /** of the source; the output keeps the channel count */
  channels: number;
  /** of the source */
  sampleRate: number;
  /** the source's codec as ffmpeg names it: pcm_mulaw, pcm_alaw, pcm_s16le, gsm_ms, gsm, mp3, opus … */
  codec: string;
  /** a WAV whose header promises more audio than the file holds (the writer was cut off) */
  truncated: boolean;
  /** things a person may want to know (truncation, decoder complaints); never personal data */
  warnings: string[];
}

export interface Media {
  readonly info: FfmpegInfo;
  /**
   * Transcodes (or, for 'original', only decodes to check) a recording in one ffmpeg run.
   * A Readable input is consumed, and destroyed when the run fails. For 'original' with
   * `keepOriginal: false` and a streamed input, `output` is empty.
   */
  transcode(input: Buffer | Readable, fmt: InputFormat, target: TranscodeTarget): Promise<MediaResult>;
  /**
   * Decodes a stored recording to 16-bit PCM WAV ('opus', 'flac' or 'original:<label>') in
   * memory, on ingest's slots: for checks of short outputs. Downloads use streamWav.
   */
  decodeToWav(stored: Buffer, storedFormat: string, opts?: { sampleRate?: number }): Promise<Buffer>;
  /**
   * The first `seconds` of a recording as raw 16-bit mono PCM at `sampleRate` (the consent
   * window: DTMF detection at 8 kHz, keyword spotting at 16 kHz), on ingest's slots. ffmpeg
   * stops reading after the window; the rest of a streamed input is not consumed.
   */
  decodeWindow(input: Buffer | Readable, fmt: InputFormat, o: { seconds: number; sampleRate: number }): Promise<Buffer>;
  /**
   * A WAV download at the call's own rate, streamed, on the download pool: waits for a slot
   * (E_BUSY when the wait line is full), then calls `open` (authorise, log, start decrypting:
   * src/access) and resolves once samples flow. See wav-stream.ts.
   */
  streamWav(open: () => Promise<WavSource>, opts?: { signal?: AbortSignal }): Promise<WavDownload>;
}

export function createMedia(info: FfmpegInfo, opts: MediaOptions): Media {
  if (!(opts.timeoutMs > 0) || !(opts.stallMs > 0)) throw new TresorError('E_CONFIG', 'media time limits must be positive');
  const turn = limiter(opts.maxConcurrent ?? Infinity);
  const downloads = createPool('WAV downloads', opts.downloads ?? { slots: 2, queue: 4 });
  const run = (args: string[], input: Buffer | Readable, keepInput = false): Promise<RunResult> =>
    turn(() => runFfmpeg(info.path, args, { input, timeoutMs: opts.timeoutMs, stallMs: opts.stallMs, keepInput }));

  return {
    info,

    async transcode(input, fmt, target) {
      if (Buffer.isBuffer(input) && input.length === 0) throw new TresorError('E_EMPTY_FILE', 'the file is empty (0 bytes)');
      requireEncoder(info, target.format);
      const assumedChannels = fmt.channelsHint ?? 1;
      const spec = outputSpec(target, assumedChannels);
      const original = target.format === 'original';
      const keep = original && !Buffer.isBuffer(input) && target.keepOriginal !== false;
      const r = await run(buildArgs(fmt, spec), input, keep).catch((e: unknown) => {
        // an empty stream makes ffmpeg fail; say what the person can act on
        throw isTresorError(e) && e.detail.inputBytes === 0 ? new TresorError('E_EMPTY_FILE', 'the file is empty (0 bytes)') : e;
      });
      const result = describe(r, fmt);
      if (spec.kind === 'opus' && result.channels !== assumedChannels) {
        result.warnings.push(`Opus bitrate was sized for ${assumedChannels} channel(s) but the source has ${result.channels}`);
      }
      if (original) result.output = Buffer.isBuffer(input) ? input : r.input ?? Buffer.alloc(0);
      else if (spec.kind === 'flac') result.output = setFlacTotalSamples(r.stdout, flacSamples(r));
      else result.output = r.stdout;
      return result;
    },

    async decodeToWav(stored, storedFormat, o = {}) {
      if (stored.length === 0) throw new TresorError('E_EMPTY_FILE', 'the stored recording is empty');
      const fmt = storedInputFormat(stored, storedFormat);
      const r = await run(buildArgs(fmt, { kind: 'wav', sampleRate: o.sampleRate }), stored);
      describe(r, fmt); // throws E_NO_AUDIO for an empty result
      return finishWavHeader(r.stdout);
    },

    async decodeWindow(input, fmt, o) {
      const out: OutputSpec = { kind: 'pcm', sampleRate: o.sampleRate, channels: 1 };
      // -t on the output side: only the window is decoded and written
      const args = [...globalArgs(), ...inputArgs(fmt), ...mappingArgs(), '-t', String(o.seconds), ...codecArgs(out), ...sinkArgs(out)];
      return (await run(args, input)).stdout;
    },

    streamWav(open, o = {}) {
      return streamWav(downloads, (args, input, stdout, signal) =>
        runFfmpeg(info.path, args, { input, stdout, signal, timeoutMs: opts.timeoutMs, stallMs: opts.stallMs }), open, o.signal);
    },
  };
}

/** At most `max` calls of `fn` at once; the others start in call order as slots free up. */
function limiter(max: number): <T>(fn: () => Promise<T>) => Promise<T> {
  if (!(max >= 1)) throw new TresorError('E_CONFIG', `maxConcurrent must be at least 1 (got ${max})`);
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (running >= max) await new Promise<void>((r) => waiting.push(r));
    else running++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next(); // the slot passes straight on: `running` stays the same
      else running--;
    }
  };
}

function requireEncoder(info: FfmpegInfo, format: StoreFormat): void {
  const missing = (format === 'opus' && !info.hasLibopus) || (format === 'flac' && !info.hasFlac);
  if (missing) {
    throw new TresorError('E_FFMPEG_MISSING', `ffmpeg at ${info.path} (${info.version}) has no ${format === 'opus' ? 'libopus' : 'flac'} encoder; install one that has (Debian: apt install ffmpeg) or choose another ingest.storeFormat`);
  }
}

function outputSpec(target: TranscodeTarget, channels: number): OutputSpec {
  switch (target.format) {
    case 'opus':
      return { kind: 'opus', kbps: opusKbps(target.kbpsPerChannel, channels), compressionLevel: target.compressionLevel };
    case 'flac':
      return { kind: 'flac', compressionLevel: target.compressionLevel };
    case 'original':
      return { kind: 'probe' };
  }
}

/** The source facts from one run's stderr; throws E_NO_AUDIO when nothing was decoded. */
function describe(r: RunResult, fmt: InputFormat): MediaResult {
  const src = r.stderr.source;
  const durationMs = Math.round((r.stderr.outTimeUs ?? 0) / 1000);
  if (!src || durationMs === 0) {
    throw new TresorError('E_NO_AUDIO', `no decodable audio in the ${fmt.label} file (${src ? 'duration 0' : 'no audio stream'})`, {
      detail: { inputBytes: r.inputBytes, codec: src?.codec ?? null },
    });
  }
  const warnings = decoderWarnings(r.stderr.lines);
  let truncated = false;
  if (fmt.demuxer === 'wav') {
    const c = wavCompleteness(r.inputHead, r.inputBytes);
    truncated = c.truncated;
    if (truncated) warnings.unshift(`truncated: the WAV header promises ${c.missingBytes} more bytes of audio than the file holds`);
  }
  const channels = src.channels ?? fmt.channelsHint ?? 1;
  return { output: Buffer.alloc(0), durationMs, channels, sampleRate: src.sampleRate, codec: src.codec, truncated, warnings };
}

/** FLAC keeps the source rate and has no padding, so the output time is an exact sample count. */
function flacSamples(r: RunResult): number {
  const rate = readFlacStreamInfo(r.stdout)?.sampleRate ?? 0;
  return Math.round(((r.stderr.outTimeUs ?? 0) * rate) / 1e6);
}
export { probeSherpaKws } from './sherpa-probe.ts';
