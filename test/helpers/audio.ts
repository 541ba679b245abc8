// Real audio files in the formats PBXs write, made with the real tools (ffmpeg's lavfi
// sources, espeak-ng for speech), for tests of media, ingest and benchmarks.
//
//   const path = await makeAudio(dir, 'call', { format: 'wav-ulaw', seconds: 3 });           // dir/call.wav
//   const stereo = await makeAudio(dir, 'st', { format: 'wav-pcm8k', seconds: 2, channels: 2 }); // left tone, right noise
//   const speech = await makeAudio(dir, 'sp', { format: 'mp3', seconds: 5, source: 'speech' });
//
// `name` without a dot gets the format's usual extension; with a dot it is used as given
// (to make an MP3 named ".wav", say). Durations are exact to the sample for PCM, G.711 and
// raw formats; the encoders may pad MP3/Opus/GSM by a frame, which demuxers trim.
// Keep `seconds` small: the CI box has 2 shared cores.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const FFMPEG = process.env.TRESOR_TEST_FFMPEG ?? 'ffmpeg';

export type AudioFormat =
  | 'wav-pcm8k' | 'wav-pcm16k' | 'wav-ulaw' | 'wav-alaw' | 'wav-gsm'
  | 'mp3' | 'ogg-opus' | 'flac'
  | 'raw-ulaw' | 'raw-alaw' | 'raw-sln' | 'raw-sln16' | 'raw-gsm';

interface FormatSpec {
  ext: string;
  rate: number;
  /** output options: codec and muxer */
  args: string[];
  monoOnly?: boolean;
}

export const FORMATS: Record<AudioFormat, FormatSpec> = {
  'wav-pcm8k': { ext: '.wav', rate: 8000, args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  'wav-pcm16k': { ext: '.wav', rate: 16000, args: ['-c:a', 'pcm_s16le', '-f', 'wav'] },
  'wav-ulaw': { ext: '.wav', rate: 8000, args: ['-c:a', 'pcm_mulaw', '-f', 'wav'] },
  'wav-alaw': { ext: '.wav', rate: 8000, args: ['-c:a', 'pcm_alaw', '-f', 'wav'] },
  // WAV format tag 0x31, as Asterisk's "wav49"/WAV-GSM writes it; libgsm is mono only
  'wav-gsm': { ext: '.wav', rate: 8000, args: ['-c:a', 'libgsm_ms', '-f', 'wav'], monoOnly: true },
  'mp3': { ext: '.mp3', rate: 8000, args: ['-c:a', 'libmp3lame', '-b:a', '16k', '-f', 'mp3'] },
  'ogg-opus': { ext: '.opus', rate: 48000, args: ['-c:a', 'libopus', '-b:a', '24k', '-f', 'ogg'] },
  'flac': { ext: '.flac', rate: 8000, args: ['-c:a', 'flac', '-f', 'flac'] },
  'raw-ulaw': { ext: '.ulaw', rate: 8000, args: ['-f', 'mulaw'], monoOnly: true },
  'raw-alaw': { ext: '.alaw', rate: 8000, args: ['-f', 'alaw'], monoOnly: true },
  'raw-sln': { ext: '.sln', rate: 8000, args: ['-f', 's16le'], monoOnly: true },
  'raw-sln16': { ext: '.sln16', rate: 16000, args: ['-f', 's16le'], monoOnly: true },
  'raw-gsm': { ext: '.gsm', rate: 8000, args: ['-c:a', 'libgsm', '-f', 'gsm'], monoOnly: true },
};

export interface AudioOptions {
  format: AudioFormat;
  seconds: number;
  /** 1 (default) or 2; stereo puts different content on each channel (agent | customer) */
  channels?: 1 | 2;
  /** 'tone' (default; 440 Hz left, noise right), 'noise', or 'speech' (espeak-ng, then tone) */
  source?: 'tone' | 'noise' | 'speech';
  /** noise seed, so that files of the same format and length differ (default 7) */
  seed?: number;
}

export async function makeAudio(dir: string, name: string, opts: AudioOptions): Promise<string> {
  const spec = FORMATS[opts.format];
  const channels = opts.channels ?? 1;
  if (channels === 2 && spec.monoOnly) throw new Error(`${opts.format} is mono only`);
  const path = join(dir, name.includes('.') ? name : name + spec.ext);
  const s = opts.seconds;
  const speech = opts.source === 'speech' ? await speechWav(dir, s) : null;
  const first = speech
    ? `amovie=${speech},apad,atrim=0:${s},aresample=${spec.rate}`
    : opts.source === 'noise'
      ? noise(spec.rate, s, opts.seed)
      : `sine=frequency=440:sample_rate=${spec.rate}:duration=${s}`;
  const graph = channels === 2 ? `${first}[a];${noise(spec.rate, s, (opts.seed ?? 7) + 1)}[b];[a][b]amerge=inputs=2[out]` : `${first}[out]`;
  await run(FFMPEG, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-filter_complex', graph, '-map', '[out]', '-ar', String(spec.rate), ...spec.args, '-y', path]);
  return path;
}

function noise(rate: number, seconds: number, seed = 7): string {
  return `anoisesrc=color=pink:amplitude=0.2:sample_rate=${rate}:duration=${seconds}:seed=${seed}`;
}

const SENTENCE = 'Thank you for calling. This call may be recorded for quality purposes. An agent will be with you shortly.';

async function speechWav(dir: string, seconds: number): Promise<string> {
  const path = join(dir, `.speech-${process.pid}-${Math.round(seconds * 1000)}.wav`);
  const words = Array.from({ length: Math.ceil(seconds / 6) }, () => SENTENCE).join(' ');
  await run('espeak-ng', ['-w', path, words]);
  return path;
}

/** A canonical 44-byte PCM/G.711 WAV header. dataBytes may lie, to make broken files. */
export function wavHeader(o: { sampleRate: number; channels: number; bitsPerSample: number; formatTag?: number; dataBytes: number }): Buffer {
  const h = Buffer.alloc(44);
  const blockAlign = (o.channels * o.bitsPerSample) / 8;
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(Math.min(36 + o.dataBytes, 0xffffffff), 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(o.formatTag ?? 1, 20);
  h.writeUInt16LE(o.channels, 22);
  h.writeUInt32LE(o.sampleRate, 24);
  h.writeUInt32LE(o.sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(o.bitsPerSample, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(o.dataBytes, 40);
  return h;
}

/** A PCM WAV whose header promises `seconds` of audio but whose file holds only `keep` of it. */
export async function truncatedWav(dir: string, name: string, o: { seconds: number; keep: number }): Promise<string> {
  const full = await makeAudio(dir, `${name}.full.wav`, { format: 'wav-pcm8k', seconds: o.seconds });
  const bytes = await readFile(full);
  const path = join(dir, `${name}.wav`);
  await writeFile(path, bytes.subarray(0, Math.floor(bytes.length * o.keep)));
  return path;
}

/** A WAV that is only a header: the PBX created the file and wrote no audio. */
export async function headerOnlyWav(dir: string, name: string, dataBytes = 0): Promise<string> {
  const path = join(dir, `${name}.wav`);
  await writeFile(path, wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataBytes }));
  return path;
}

export type HostileKind = 'hls' | 'ffconcat' | 'text' | 'random' | 'empty';

/**
 * Files that must never reach ffmpeg, named as audio. 'hls' and 'ffconcat' list `target`
 * (a real file), so a test can prove that nothing opened it.
 */
export async function makeHostile(dir: string, name: string, kind: HostileKind, target = '/etc/hostname'): Promise<string> {
  const path = join(dir, name);
  const content: Record<HostileKind, Buffer> = {
    hls: Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10.0,\nfile://${target}\n#EXT-X-ENDLIST\n`),
    ffconcat: Buffer.from(`ffconcat version 1.0\nfile '${target}'\n`),
    text: Buffer.from('Call notes: customer asked about the invoice, agent promised a callback.\n'),
    random: randomBytes(16 * 1024),
    empty: Buffer.alloc(0),
  };
  await writeFile(path, content[kind]);
  return path;
}

function run(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) =>
      err ? reject(new Error(`${file} ${args.join(' ')} failed: ${stderr || err.message}`)) : resolve(),
    );
  });
}
