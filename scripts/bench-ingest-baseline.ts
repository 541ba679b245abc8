#!/usr/bin/env -S npx tsx
// Baseline for the ingest benchmark: how fast is bare ffmpeg, given exactly the
// transcode Tresor runs (WAV on stdin → Ogg/Opus voice on stdout, kept in memory),
// with the same number of workers? Tresor's own ingest adds hashing, encryption,
// durable writes, index and log on top; scripts/bench.ts compares the two.
//
//   tsx scripts/bench-ingest-baseline.ts DIR [--parallel 2] [--ffmpeg PATH]
//                                        [--kbps 16] [--level 5] [--json]
//
// DIR is searched recursively for *.wav (hidden names skipped), e.g. a corpus from
// scripts/gen-corpus.ts. Defaults mirror Tresor's config defaults (src/config/schema.ts).

import { spawn } from 'node:child_process';
import { closeSync, createReadStream, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export interface BareFfmpegOptions {
  /** files transcoded at once (Tresor: ingest.workers) */
  parallel: number;
  ffmpegPath: string;
  /** Opus bitrate per channel (Tresor: ingest.opusKbpsPerChannel) */
  kbpsPerChannel: number;
  /** Opus encoder effort 0..10 (Tresor: ingest.opusCompressionLevel) */
  compressionLevel: number;
}

export interface BareFfmpegResult {
  /** first spawn to last exit */
  wallMs: number;
  /** per file, in input order: spawn to exit of its ffmpeg */
  perFileMs: number[];
  /** per file, in input order: size of the Ogg/Opus output */
  outBytes: number[];
}

/**
 * The argument list Tresor uses for its default store format (Ogg/Opus, voice): a copy
 * of src/media/args.ts buildArgs({ demuxer: 'wav' }, { kind: 'opus', … }) — scripts
 * import nothing from src (DESIGN §2), so keep the two in step. The one deliberate
 * difference: no `-loglevel info -nostats -progress pipe:2`, the progress reporting
 * Tresor parses for its stall watchdog; that cost belongs to Tresor's side of the
 * comparison.
 */
export function opusArgs(channels: number, kbpsPerChannel: number, compressionLevel: number): string[] {
  return [
    '-nostdin', '-hide_banner', '-loglevel', 'error',
    // only the pipe protocol, only the WAV demuxer: no guessing (DESIGN §5)
    '-protocol_whitelist', 'pipe', '-f', 'wav', '-i', 'pipe:0',
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    '-map_metadata', '-1', '-map_chapters', '-1',
    '-fflags', '+bitexact',
    '-c:a', 'libopus', '-application', 'voip',
    // Opus has no per-channel rate: stereo (agent | customer) gets twice the mono rate
    '-b:a', `${kbpsPerChannel * Math.max(1, channels)}k`,
    '-compression_level', String(compressionLevel),
    '-f', 'ogg', 'pipe:1',
  ];
}

/**
 * Transcodes every file with bare ffmpeg, at most `parallel` at a time. Each file is
 * streamed from disk into ffmpeg's stdin and the output collected in memory, as Tresor
 * does. Channel counts are read from the WAV headers before the clock starts.
 * Rejects on the first failing file.
 */
export async function runBareFfmpeg(files: string[], opts: BareFfmpegOptions): Promise<BareFfmpegResult> {
  if (!(opts.parallel >= 1)) throw new Error(`parallel must be >= 1 (got ${opts.parallel})`);
  const channels = files.map(wavChannels);
  const perFileMs = new Array<number>(files.length).fill(0);
  const outBytes = new Array<number>(files.length).fill(0);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const t = performance.now();
      outBytes[i] = (await transcode(files[i]!, opusArgs(channels[i]!, opts.kbpsPerChannel, opts.compressionLevel), opts.ffmpegPath)).length;
      perFileMs[i] = performance.now() - t;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(opts.parallel, files.length) }, worker));
  return { wallMs: performance.now() - t0, perFileMs, outBytes };
}

function transcode(file: string, args: string[], ffmpeg: string): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (code === 0) resolvePromise(Buffer.concat(out));
      else reject(new Error(`ffmpeg failed on ${file} (${code ?? signal}): ${Buffer.concat(err).toString().trim()}`));
    });
    const src = createReadStream(file);
    src.on('error', (e) => {
      p.kill('SIGKILL');
      reject(e);
    });
    p.stdin.on('error', () => {}); // ffmpeg exiting early closes the pipe; 'close' says why
    src.pipe(p.stdin);
  });
}

/** The ffmpeg both sides of the ingest benchmark run: TRESOR_FFMPEG, else Debian's, else PATH's. */
export function defaultFfmpegPath(): string {
  return process.env.TRESOR_FFMPEG ?? (existsSync('/usr/bin/ffmpeg') ? '/usr/bin/ffmpeg' : 'ffmpeg');
}

interface WavInfo { channels: number; seconds: number }

/** Reads channel count and duration from a RIFF/WAVE header (fmt + data chunks). */
export function wavInfo(file: string): WavInfo {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = readSync(fd, head, 0, head.length, 0);
    if (n < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') {
      throw new Error(`${file}: not a RIFF/WAVE file`);
    }
    let channels = 0;
    let byteRate = 0;
    for (let p = 12; p + 8 <= n; ) {
      const id = head.toString('latin1', p, p + 4);
      const size = head.readUInt32LE(p + 4);
      if (id === 'fmt ' && p + 16 <= n) {
        channels = head.readUInt16LE(p + 10);
        byteRate = head.readUInt32LE(p + 16);
      } else if (id === 'data') {
        if (!channels) break;
        return { channels, seconds: byteRate ? size / byteRate : 0 };
      }
      p += 8 + size + (size & 1);
    }
    throw new Error(`${file}: no fmt/data chunk in the first ${n} bytes`);
  } finally {
    closeSync(fd);
  }
}

const wavChannels = (file: string) => wavInfo(file).channels;

function findWavs(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) findWavs(p, out);
    else if (e.isFile() && e.name.toLowerCase().endsWith('.wav')) out.push(p);
  }
  return out.sort();
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      parallel: { type: 'string', default: '2' },
      ffmpeg: { type: 'string' },
      kbps: { type: 'string', default: '16' },
      level: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
    },
  });
  const dir = positionals[0];
  if (!dir) {
    process.stderr.write('usage: tsx scripts/bench-ingest-baseline.ts DIR [--parallel 2] [--ffmpeg PATH] [--kbps 16] [--level 5] [--json]\n');
    process.exit(2);
  }
  const files = findWavs(resolve(dir));
  if (!files.length) throw new Error(`no .wav files under ${dir}`);
  const ffmpegPath = values.ffmpeg ?? defaultFfmpegPath();
  const opts = { parallel: Number(values.parallel), ffmpegPath, kbpsPerChannel: Number(values.kbps), compressionLevel: Number(values.level) };
  const audioSeconds = files.reduce((s, f) => s + wavInfo(f).seconds, 0);
  const r = await runBareFfmpeg(files, opts);
  const summary = {
    files: files.length,
    audioSeconds: Math.round(audioSeconds * 10) / 10,
    ...opts,
    wallMs: Math.round(r.wallMs),
    realtimeFactor: Math.round(audioSeconds / (r.wallMs / 1000)),
    perFileMsP50: Math.round(percentile(r.perFileMs, 0.5)),
    perFileMsMax: Math.round(Math.max(...r.perFileMs)),
    outBytes: r.outBytes.reduce((a, b) => a + b, 0),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...summary, perFile: files.map((f, i) => ({ file: f, ms: Math.round(r.perFileMs[i]!), outBytes: r.outBytes[i] })) }, null, 2) + '\n');
  } else {
    process.stdout.write(
      `bare ffmpeg: ${summary.files} files, ${(audioSeconds / 60).toFixed(1)} min of audio, parallel ${opts.parallel}, ` +
        `opus ${opts.kbpsPerChannel} kbit/s/ch level ${opts.compressionLevel}\n` +
        `wall ${(r.wallMs / 1000).toFixed(2)} s (${summary.realtimeFactor}x real time), per file p50 ${summary.perFileMsP50} ms, ` +
        `max ${summary.perFileMsMax} ms, output ${(summary.outBytes / 1e6).toFixed(2)} MB\n`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench-ingest-baseline: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
