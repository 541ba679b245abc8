// media end to end with the system ffmpeg: every PBX format to Ogg/Opus (and FLAC, and
// 'original'), and the ways a recording can be wrong.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isTresorError } from '../src/core/errors.ts';
import { createMedia, readWavHeader, resolveFfmpeg, sniffInput, type FfmpegInfo, type Media, type MediaResult } from '../src/media/index.ts';
import { readFlacStreamInfo } from '../src/media/flac.ts';
import { FFMPEG, headerOnlyWav, makeAudio, makeHostile, truncatedWav, type AudioFormat } from './helpers/audio.ts';

const SECONDS = 2;
const OPUS = { format: 'opus', kbpsPerChannel: 16, compressionLevel: 5 } as const;
let dir: string;
let ff: FfmpegInfo;
let media: Media;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tresor-media-'));
  ff = await resolveFfmpeg(null);
  media = createMedia(ff, { timeoutMs: 20_000, stallMs: 5_000 });
});
after(() => rm(dir, { recursive: true, force: true }));

async function transcodeFile(path: string, target = OPUS as Parameters<Media['transcode']>[2]): Promise<MediaResult> {
  const bytes = await readFile(path);
  return media.transcode(bytes, sniffInput(bytes.subarray(0, 4096), basename(path)), target);
}

/** Decodes stored output with ffmpeg again and reads the WAV it gives: channels and seconds. */
async function decoded(output: Buffer, storedFormat: string): Promise<{ channels: number; ms: number }> {
  const wav = await media.decodeToWav(output, storedFormat);
  const h = readWavHeader(wav)!;
  return { channels: h.channels, ms: Math.round((h.dataBytesDeclared! / (2 * h.channels * h.sampleRate)) * 1000) };
}

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 100, `${what}: ${actual} ms, expected ${expected} ± 100`);
}

const PBX_FORMATS: Array<[AudioFormat, string, number]> = [
  ['wav-pcm8k', 'pcm_s16le', 8000],
  ['wav-pcm16k', 'pcm_s16le', 16000],
  ['wav-ulaw', 'pcm_mulaw', 8000],
  ['wav-alaw', 'pcm_alaw', 8000],
  ['wav-gsm', 'gsm_ms', 8000],
  ['mp3', 'mp3', 8000],
  ['ogg-opus', 'opus', 48000],
  ['raw-ulaw', 'pcm_mulaw', 8000],
  ['raw-alaw', 'pcm_alaw', 8000],
  ['raw-sln', 'pcm_s16le', 8000],
  ['raw-sln16', 'pcm_s16le', 16000],
  ['raw-gsm', 'gsm', 8000],
];

describe('transcode to Ogg/Opus', () => {
  for (const [format, codec, rate] of PBX_FORMATS) {
    it(`transcode_${format}_toOpusWithDuration`, async () => {
      const r = await transcodeFile(await makeAudio(dir, format, { format, seconds: SECONDS }));
      assert.equal(r.output.toString('latin1', 0, 4), 'OggS');
      assert.equal(r.codec, codec);
      assert.equal(r.sampleRate, rate);
      assert.equal(r.channels, 1);
      assert.equal(r.truncated, false);
      assert.deepEqual(r.warnings, []);
      near(r.durationMs, SECONDS * 1000, 'reported duration');
      const out = await decoded(r.output, 'opus');
      assert.equal(out.channels, 1);
      near(out.ms, SECONDS * 1000, 'decoded output');
    });
  }

  it('transcode_stereoAgentCustomer_staysTwoChannelsAtDoubleBitrate', async () => {
    const path = await makeAudio(dir, 'stereo', { format: 'wav-ulaw', seconds: SECONDS, channels: 2 });
    const r = await transcodeFile(path);
    assert.equal(r.channels, 2);
    const out = await decoded(r.output, 'opus');
    assert.equal(out.channels, 2);
    near(out.ms, SECONDS * 1000, 'decoded stereo');
    // left is a tone, right is noise: a downmix would have made them equal
    const wav = await media.decodeToWav(r.output, 'opus');
    const h = readWavHeader(wav)!;
    let diff = 0;
    for (let i = h.dataOffset! + 4 * 4800; i + 4 <= h.dataOffset! + 4 * 9600; i += 4) diff += Math.abs(wav.readInt16LE(i) - wav.readInt16LE(i + 2));
    assert.ok(diff / 4800 > 500, `channels differ (mean |L-R| = ${Math.round(diff / 4800)})`);
  });

  it('transcode_speechMp3_fromStream', async () => {
    const path = await makeAudio(dir, 'speech', { format: 'mp3', seconds: 3, source: 'speech' });
    const head = (await readFile(path)).subarray(0, 4096);
    const r = await media.transcode(createReadStream(path), sniffInput(head, 'speech.mp3'), OPUS);
    assert.equal(r.codec, 'mp3');
    near(r.durationMs, 3000, 'speech');
  });

  it('transcode_sameInputTwice_sameBytes', async () => {
    const path = await makeAudio(dir, 'repeat', { format: 'wav-alaw', seconds: 1 });
    assert.ok((await transcodeFile(path)).output.equals((await transcodeFile(path)).output));
  });
});

describe('other store formats', () => {
  it('transcode_flac_losslessWithSampleCountInHeader', async () => {
    const path = await makeAudio(dir, 'flac-src', { format: 'wav-pcm16k', seconds: SECONDS });
    const r = await transcodeFile(path, { format: 'flac', kbpsPerChannel: 16, compressionLevel: 5 });
    assert.equal(r.output.toString('latin1', 0, 4), 'fLaC');
    assert.deepEqual(readFlacStreamInfo(r.output), { sampleRate: 16000, channels: 1, totalSamples: 32000 });
    const pcm = (await readFile(path)).subarray(readWavHeader(await readFile(path))!.dataOffset!);
    const back = await media.decodeToWav(r.output, 'flac');
    assert.ok(back.subarray(readWavHeader(back)!.dataOffset!).equals(pcm), 'bit-identical PCM');
  });

  it('transcode_original_returnsInputAndProbes', async () => {
    const path = await makeAudio(dir, 'orig', { format: 'raw-ulaw', seconds: SECONDS });
    const bytes = await readFile(path);
    const r = await transcodeFile(path, { format: 'original', kbpsPerChannel: 16, compressionLevel: 5 });
    assert.ok(r.output.equals(bytes));
    assert.equal(r.codec, 'pcm_mulaw');
    assert.equal(r.durationMs, SECONDS * 1000, 'decode-only duration is exact');
    near((await decoded(r.output, 'original:raw µ-law 8 kHz')).ms, SECONDS * 1000, 'original decoded');
  });

  it('transcode_originalFromStream_keepsEveryByte', async () => {
    const path = await makeAudio(dir, 'orig-stream', { format: 'wav-gsm', seconds: SECONDS });
    const r = await media.transcode(createReadStream(path, { highWaterMark: 1000 }), sniffInput(await readFile(path), 'x.wav'), {
      format: 'original', kbpsPerChannel: 16, compressionLevel: 5,
    });
    assert.ok(r.output.equals(await readFile(path)));
  });

  it('transcode_opusWithoutLibopus_refusedBeforeSpawn', async () => {
    const noOpus = createMedia({ ...ff, path: '/nonexistent/ffmpeg', hasLibopus: false }, { timeoutMs: 1000, stallMs: 1000 });
    await assert.rejects(noOpus.transcode(Buffer.from('x'), sniffInput(Buffer.alloc(160, 0xff), 'a.ulaw'), OPUS), (e) => isTresorError(e, 'E_FFMPEG_MISSING'));
  });
});

describe('bad recordings', () => {
  it('transcode_truncatedWav_flaggedAndStillTranscoded', async () => {
    const r = await transcodeFile(await truncatedWav(dir, 'cut', { seconds: 2, keep: 0.5 }));
    assert.equal(r.truncated, true);
    assert.match(r.warnings[0]!, /truncated/);
    near(r.durationMs, 1000, 'what is there');
  });

  it('transcode_truncatedWavFromStream_flagged', async () => {
    const path = await truncatedWav(dir, 'cut-stream', { seconds: 2, keep: 0.6 });
    const r = await media.transcode(createReadStream(path), sniffInput(await readFile(path), 'x.wav'), OPUS);
    assert.equal(r.truncated, true);
  });

  it('transcode_headerOnlyWav_noAudio', async () => {
    for (const dataBytes of [0, 16000]) {
      const path = await headerOnlyWav(dir, `empty-${dataBytes}`, dataBytes);
      await assert.rejects(transcodeFile(path), (e) => isTresorError(e, 'E_NO_AUDIO'), `data size ${dataBytes}`);
    }
  });

  it('transcode_wavCutInsideHeader_noAudio', async () => {
    const full = await readFile(await makeAudio(dir, 'hdr-cut', { format: 'wav-pcm8k', seconds: 1 }));
    await assert.rejects(media.transcode(full.subarray(0, 40), sniffInput(full.subarray(0, 40), 'x.wav'), OPUS), (e) => isTresorError(e, 'E_NO_AUDIO'));
  });

  it('transcode_garbageAfterValidMagic_decodeFailedWithReason', async () => {
    const junk = Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(2000, 0xab)]);
    await assert.rejects(media.transcode(junk, sniffInput(junk, 'x.flac'), OPUS), (e: unknown) => {
      assert.ok(isTresorError(e) && (e.code === 'E_DECODE_FAILED' || e.code === 'E_NO_AUDIO'), String(e));
      assert.ok(Array.isArray(e.detail.stderr) && (e.detail.stderr as string[]).length > 0, 'ffmpeg said why');
      return true;
    });
  });

  it('transcode_zeroBytes_emptyFileWithoutSpawn', async () => {
    const fmt = { demuxer: 'wav', inputArgs: [], label: 'WAV', channelsHint: 1 };
    await assert.rejects(media.transcode(Buffer.alloc(0), fmt, OPUS), (e) => isTresorError(e, 'E_EMPTY_FILE'));
    await assert.rejects(media.transcode(Readable.from([]), fmt, OPUS), (e) => isTresorError(e, 'E_EMPTY_FILE'), 'empty stream');
    const zero = await readFile(await makeHostile(dir, 'zero.wav', 'empty'));
    assert.throws(() => sniffInput(zero, 'zero.wav'), (e) => isTresorError(e, 'E_EMPTY_FILE'));
  });
});

describe('hostile files never reach ffmpeg', () => {
  it('sniff_hostileNamedAsAudio_refusedAndNothingSpawned', async () => {
    const secret = await makeAudio(dir, 'secret', { format: 'wav-pcm8k', seconds: 1 });
    // a stand-in ffmpeg that leaves a mark if anything ever runs it
    const mark = join(dir, 'spawned');
    const spy = join(dir, 'spy-ffmpeg');
    await writeFile(spy, `#!/bin/sh\ntouch '${mark}'\nexit 1\n`);
    await chmod(spy, 0o755);
    const spyMedia = createMedia({ ...ff, path: spy }, { timeoutMs: 5000, stallMs: 5000 });
    const cases: Array<[string, Parameters<typeof makeHostile>[2], RegExp]> = [
      ['playlist.wav', 'hls', /HLS/],
      ['concat.wav', 'ffconcat', /ffconcat/],
      ['notes.wav', 'text', /text/],
      ['noise.wav', 'random', /unrecognised/],
      ['playlist.ulaw', 'hls', /HLS/],
    ];
    for (const [name, kind, message] of cases) {
      const path = await makeHostile(dir, name, kind, secret);
      const bytes = await readFile(path);
      await assert.rejects(
        (async () => spyMedia.transcode(bytes, sniffInput(bytes.subarray(0, 4096), name), OPUS))(),
        (e: unknown) => isTresorError(e, 'E_UNSUPPORTED_FORMAT') && message.test(e.message),
        name,
      );
    }
    await assert.rejects(stat(mark), { code: 'ENOENT' }, 'no process was started');
  });

  it('control_naiveFfmpegOnConcatNamedWav_readsTheListedFile', async () => {
    // why the sniff exists: ffmpeg left to guess follows the script to another file
    const secret = await makeAudio(dir, 'secret2', { format: 'wav-pcm8k', seconds: 1 });
    const evil = await makeHostile(dir, 'evil.wav', 'ffconcat', basename(secret));
    const { execFile } = await import('node:child_process');
    const err = await new Promise<string>((res) => execFile(FFMPEG, ['-nostdin', '-hide_banner', '-i', evil, '-f', 'null', '-'], { cwd: dir }, (_e, _o, se) => res(se)));
    assert.match(err, /Input #0, concat/);
    assert.match(err, /time=00:00:01\.00/);
  });
});

describe('decodeToWav', () => {
  it('decodeToWav_opus_headerSizesFilledIn', async () => {
    const r = await transcodeFile(await makeAudio(dir, 'dec', { format: 'wav-pcm8k', seconds: 1 }));
    const wav = await media.decodeToWav(r.output, 'opus', { sampleRate: 8000 });
    const h = readWavHeader(wav)!;
    assert.equal(wav.readUInt32LE(4), wav.length - 8);
    assert.equal(h.dataBytesDeclared, wav.length - h.dataOffset!);
    assert.equal(h.sampleRate, 8000);
    assert.equal(wav.indexOf('LIST'), -1, 'no encoder tag chunk');
  });
});

describe('media concurrency', () => {
  it('runs_at_most_maxConcurrent_ffmpeg_processes_and_all_transcodes_finish', async () => {
    // A wrapper around the real ffmpeg notes when each run starts and ends, so overlap
    // is seen from outside the process, as the CPU would see it.
    const trace = join(dir, 'runs.log');
    const wrapper = join(dir, 'ffmpeg-traced');
    await writeFile(wrapper, `#!/bin/sh\necho "start $(date +%s%N)" >> '${trace}'\n'${ff.path}' "$@"\nrc=$?\necho "end $(date +%s%N)" >> '${trace}'\nexit $rc\n`);
    await chmod(wrapper, 0o755);
    const limited = createMedia({ ...ff, path: wrapper }, { timeoutMs: 20_000, stallMs: 5_000, maxConcurrent: 2 });
    const src = await makeAudio(dir, 'conc.wav', { format: 'wav-ulaw', seconds: 20 });
    const bytes = await readFile(src);
    const fmt = sniffInput(bytes.subarray(0, 4096), 'conc.wav');
    const results = await Promise.all(Array.from({ length: 5 }, () => limited.transcode(bytes, fmt, OPUS)));
    for (const r of results) near(r.durationMs, 20_000, 'duration');
    const events = (await readFile(trace, 'utf8')).trim().split('\n').map((l) => l.split(' ')).map(([k, t]) => ({ k, t: BigInt(t!) }));
    events.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    let running = 0;
    let peak = 0;
    for (const e of events) {
      running += e.k === 'start' ? 1 : -1;
      peak = Math.max(peak, running);
    }
    assert.equal(events.length, 10);
    assert.equal(peak, 2, 'two runs overlap, never three');
  });
});
