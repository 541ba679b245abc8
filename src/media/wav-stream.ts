// WAV downloads, streamed: the stored recording goes into ffmpeg as it is decrypted, raw PCM
// comes out and goes to the client behind a header we write first. Nothing holds the whole
// call: a 1-hour call at 48 kHz was a 345 MB Buffer (and RSS 120 MB → 1.19 GB, issue 16 #9).
//
// The header needs the length before the first sample, so it comes from the container:
// Ogg/Opus says it exactly (last granule − pre-skip, RFC 7845 §4), FLAC's STREAMINFO holds
// the sample count (ingest writes it), and other stored originals use the duration decoded
// at ingest. The stream then holds exactly that many frames: a resampler's last few samples
// more are cut, a few less are padded with silence. A difference of more than a second means
// the stored audio is not what was ingested; the download then fails instead of lying.
//
// The rate is the call's own (8 kHz from a PBX, not Opus's 48 kHz: six times smaller).

import { PassThrough, Readable, Transform } from 'node:stream';
import { TresorError } from '../core/errors.ts';
import { buildArgs } from './args.ts';
import { readFlacStreamInfo } from './flac.ts';
import { storedInputFormat } from './formats.ts';
import { lastGranule, opusPreSkip } from './ogg.ts';
import type { Pool } from './pool.ts';
import type { RunResult } from './run.ts';
import { pcmWavHeader } from './wav.ts';

export { OGG_TAIL_BYTES } from './ogg.ts';

/** What the caller (through src/access, after the log entry) hands over once a slot is free. */
export interface WavSource {
  /** the stored recording's plaintext, decrypted as it is read */
  input: Readable;
  storedFormat: string;
  /** the plaintext's first bytes (SNIFF_BYTES or more): format, OpusHead, STREAMINFO */
  head: Buffer;
  /** the plaintext's last OGG_TAIL_BYTES (or all of it): the last Ogg page */
  tail: Buffer;
  /** of the call, as ingest recorded them */
  channels: number;
  sampleRate: number;
  durationMs: number;
}

export interface WavDownload {
  /** header and samples; destroy it to stop (the ffmpeg run is killed and its slot freed) */
  body: Readable;
  /** exact length of body: Content-Length */
  bytes: number;
  sampleRate: number;
  channels: number;
  frames: number;
}

export type PcmRun = (args: string[], input: Readable, stdout: NodeJS.WritableStream, signal: AbortSignal) => Promise<RunResult>;

const TOLERANCE_SECONDS = 1;

/** Rate, channels and exact frame count of the WAV for a stored recording. Pure. */
export function wavShape(src: Omit<WavSource, 'input'>): { sampleRate: number; channels: number; frames: number } {
  const flac = src.storedFormat === 'flac' ? readFlacStreamInfo(src.head) : null;
  const sampleRate = validRate(src.sampleRate) ? src.sampleRate : flac && validRate(flac.sampleRate) ? flac.sampleRate : 48000;
  const channels = Number.isInteger(src.channels) && src.channels >= 1 && src.channels <= 8 ? src.channels : (flac?.channels ?? 1);
  const scale = (samples: number, rate: number) => Math.round((samples * sampleRate) / rate);
  let frames: number | null = null;
  if (src.storedFormat === 'opus') {
    const pre = opusPreSkip(src.head);
    const granule = lastGranule(src.tail);
    if (pre !== null && granule !== null && granule >= pre) frames = scale(granule - pre, 48000);
  } else if (flac && flac.totalSamples > 0) {
    frames = scale(flac.totalSamples, flac.sampleRate);
  }
  frames ??= Math.round((src.durationMs * sampleRate) / 1000);
  return { sampleRate, channels, frames };
}

function validRate(r: number): boolean {
  return Number.isInteger(r) && r >= 1000 && r <= 384000;
}

/**
 * Takes a download slot (or throws E_BUSY), then calls `open` — which authorises, logs
 * and starts decrypting — and starts ffmpeg. Resolves once the first samples are out (an
 * early failure is still an HTTP error, not a cut-off file); the slot is freed when ffmpeg
 * is gone, whether the body was read to the end, failed or was destroyed by the client.
 */
export async function streamWav(pool: Pool, run: PcmRun, open: () => Promise<WavSource>, signal?: AbortSignal): Promise<WavDownload> {
  const release = await pool.acquire(signal);
  let src: WavSource;
  try {
    src = await open();
  } catch (e) {
    release();
    throw e;
  }
  let shape: ReturnType<typeof wavShape>;
  let args: string[];
  try {
    shape = wavShape(src);
    args = buildArgs(storedInputFormat(src.head, src.storedFormat), { kind: 'pcm', sampleRate: shape.sampleRate, channels: shape.channels });
  } catch (e) {
    src.input.destroy();
    release();
    throw e;
  }
  const dataBytes = shape.frames * shape.channels * 2;
  const header = pcmWavHeader({ channels: shape.channels, sampleRate: shape.sampleRate, dataBytes });
  const body = new PassThrough({ highWaterMark: 256 * 1024 });
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  body.once('close', () => stop.abort()); // the client went away: ffmpeg is killed
  // a failure before the caller took the body must not crash the process for want of a listener
  body.on('error', () => {});
  body.write(header);

  let remaining = dataBytes;
  let excess = 0;
  let markStarted = () => {};
  const started = new Promise<void>((r) => (markStarted = r));
  // Exactly dataBytes reach the body: extra samples are dropped, missing ones padded below.
  const exact = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
      remaining -= part.length;
      excess += chunk.length - part.length;
      markStarted();
      cb(null, part.length ? part : undefined);
    },
  });
  exact.pipe(body, { end: false });

  const done = run(args, src.input, exact, stop.signal)
    .then(async () => {
      exact.end();
      await new Promise((r) => exact.once('end', r));
      const tolerance = TOLERANCE_SECONDS * shape.sampleRate * shape.channels * 2;
      if (remaining > tolerance || excess > tolerance) {
        const got = (dataBytes - remaining + excess) / (shape.channels * 2);
        throw new TresorError('E_DECODE_FAILED', `the stored recording decoded to ${got} frames, not the ${shape.frames} it holds`, {
          detail: { storedFormat: src.storedFormat, frames: shape.frames },
        });
      }
      for (let n = remaining; n > 0; n -= 65536) body.write(Buffer.alloc(Math.min(n, 65536)));
      remaining = 0;
      body.end();
    })
    .catch((e: unknown) => {
      src.input.destroy();
      if (!body.destroyed) body.destroy(e as Error);
      throw e;
    })
    .finally(() => {
      signal?.removeEventListener('abort', onAbort);
      release();
    });
  await Promise.race([started, done]);
  // a failure after the first bytes ends the body with an error; nobody awaits `done` then
  done.catch(() => {});
  return { body, bytes: header.length + dataBytes, ...shape };
}
