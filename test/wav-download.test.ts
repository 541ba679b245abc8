import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import type { LogEntry } from '../src/audit/index.ts';
import { isTresorError } from '../src/core/errors.ts';
import { createMedia, readWavHeader, resolveFfmpeg, sniffInput, type FfmpegInfo } from '../src/media/index.ts';
import { lastGranule } from '../src/media/ogg.ts';
import { pcmWavHeader } from '../src/media/wav.ts';
import { FFMPEG, makeAudio } from './helpers/audio.ts';
import { cli, testConfig } from './helpers/site.ts';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';

// Issue 16 #9 and #13. WAV downloads were decoded into one Buffer (a 1-hour call: a 345 MB
// response, service RSS 120 MB → 1.19 GB), always at Opus's 48 kHz, on the ffmpeg slots of
// ingest (a 3 s call waited 12 s behind transcodes). Now: streamed at the call's own rate,
// on a pool of their own with a bounded wait line (503 + Retry-After beyond it).
// The memory itself is measured by scripts/bench-wav.ts (npm run bench).

const OPUS = { format: 'opus', kbpsPerChannel: 16, compressionLevel: 5 } as const;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tresor-wav-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** ffmpeg's own decode of stored audio to raw PCM: what the WAV's data chunk must equal. */
function decodeRaw(stored: Buffer, demuxer: string, rate: number, channels: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = execFile(FFMPEG, ['-nostdin', '-loglevel', 'error', '-f', demuxer, '-i', 'pipe:0', '-c:a', 'pcm_s16le', '-ar', String(rate), '-ac', String(channels), '-f', 's16le', 'pipe:1'],
      { encoding: 'buffer', maxBuffer: 1 << 28 }, (e, out) => (e ? reject(e) : resolve(out)));
    p.stdin!.end(stored);
  });
}

function until<T>(p: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<'still waiting'>((r) => (timer = setTimeout(() => r('still waiting'), ms)))]).finally(() => clearTimeout(timer));
}

describe('WAV download from the console', () => {
  let w: WebSite;
  let mono8k: string;
  let stereo16k: string;
  let long: string;
  const lastEntries = (n: number): LogEntry[] => w.site.log.entries(Math.max(0, w.site.log.size() - n), w.site.log.size());

  before(async () => {
    // one ingest slot and one download slot with one waiting place: what the tests fill
    w = await webSite(() => {}, { maxConcurrent: 1, downloads: { slots: 1, queue: 1 } });
    await makeUser(w, 'sue', ['supervisor']);
    await makeUser(w, 'audrey', ['auditor']);
    mono8k = await w.ingestCall('in-4930123456-015112345678-20261127-142501-1764250000.1.wav', { format: 'wav-pcm8k', seconds: 3, source: 'noise' });
    stereo16k = await w.ingestCall('in-4930123456-015112345678-20261127-142502-1764250000.2.wav', { format: 'wav-pcm16k', seconds: 2, channels: 2 });
    // 30 s of 16 kHz stereo = 1.9 MB of PCM: more than every buffer between ffmpeg and an unread body
    long = await w.ingestCall('in-4930123456-015112345678-20261127-142503-1764250000.3.wav', { format: 'wav-pcm16k', seconds: 30, channels: 2 });
  });
  after(() => w.close());

  for (const [name, rate, channels] of [['mono 8 kHz', 8000, 1], ['stereo 16 kHz', 16000, 2]] as const) {
    it(`is_at_the_calls_own_rate_with_exact_sizes_and_ffmpegs_samples_${name.replace(/ /g, '_')}`, async () => {
      const id = name.startsWith('mono') ? mono8k : stereo16k;
      const b = browser(w);
      await b.login('sue');
      const res = await b.get(`/recordings/${id}/download?format=wav`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('Content-Type'), 'audio/wav');
      // logged before the first byte is decrypted, naming the format
      const logged = lastEntries(1)[0]!;
      assert.equal(logged.action, 'recording.downloaded');
      assert.deepEqual(logged.detail, { storedFormat: 'opus', format: 'wav' });
      const wav = Buffer.from(await res.arrayBuffer());
      assert.equal(Number(res.headers.get('Content-Length')), wav.length);
      const h = readWavHeader(wav)!;
      assert.equal(h.sampleRate, rate, 'the call\'s own rate, not Opus\'s 48 kHz');
      assert.equal(h.channels, channels);
      assert.equal(h.dataOffset, 44);
      assert.equal(h.dataBytesDeclared, wav.length - 44);
      assert.equal(wav.readUInt32LE(4), wav.length - 8);
      // the very samples ffmpeg decodes from the stored audio, no more, no fewer
      const stored = (await w.access.readAudio({ actor: 'cli:test', roles: ['supervisor'] } as never, id, 'recording.exported')).audio;
      assert.ok(wav.subarray(44).equals(await decodeRaw(stored, 'ogg', rate, channels)), 'PCM equals ffmpeg\'s decode');
    });
  }

  it('is_refused_for_an_auditor_with_the_refusal_logged_and_no_slot_taken', async () => {
    const b = browser(w);
    await b.login('audrey');
    const res = await b.get(`/recordings/${mono8k}/download?format=wav`);
    assert.equal(res.status, 403);
    const e = lastEntries(1)[0]!;
    assert.equal(e.action, 'access.denied');
    assert.equal(e.actor, 'user:audrey');
  });

  it('does_not_wait_for_ingest_while_its_ffmpeg_slots_are_busy', async () => {
    // ingest's only slot is held by a transcode whose input is still arriving (a long
    // call copied from a slow share); a download must not queue behind it
    const wavPath = await makeAudio(tempDir(), 'slow', { format: 'wav-pcm8k', seconds: 2 });
    const bytes = readFileSync(wavPath);
    const slowShare = new PassThrough();
    slowShare.write(bytes.subarray(0, 4096));
    const ingest = w.media.transcode(slowShare, sniffInput(bytes.subarray(0, 4096), 'slow.wav'), OPUS);
    const b = browser(w);
    await b.login('sue');
    const download = (async () => Buffer.from(await (await b.get(`/recordings/${mono8k}/download?format=wav`)).arrayBuffer()))();
    const got = await until(download, 20_000);
    slowShare.end(bytes.subarray(4096));
    await ingest;
    assert.notEqual(got, 'still waiting', 'the WAV download waited for the ingest slot');
    assert.equal(readWavHeader(got as Buffer)!.sampleRate, 8000);
  });

  it('beyond_its_slots_and_wait_line_answers_503_with_retry_after_and_a_freed_slot_serves_the_waiter', async () => {
    const b = browser(w);
    await b.login('sue');
    const downloadsBefore = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'recording.downloaded').length;
    // 1: takes the slot; its body is not read, so ffmpeg waits on it
    const first = await b.get(`/recordings/${long}/download?format=wav`);
    assert.equal(first.status, 200);
    // 2: waits in the line
    const second = b.get(`/recordings/${long}/download?format=wav`);
    assert.equal(await until(second, 1500), 'still waiting');
    // 3: no room left: refused at once, and not logged as a download
    const third = await b.get(`/recordings/${mono8k}/download?format=wav`);
    assert.equal(third.status, 503);
    assert.equal(third.headers.get('Retry-After'), '10');
    assert.match(await third.text(), /all 1 slot\(s\) are in use and 1 request\(s\) wait already/);
    // the first client goes away: ffmpeg is stopped, the slot goes to the waiter
    await first.body!.cancel();
    const served = await until(second, 20_000);
    assert.notEqual(served, 'still waiting', 'the cancelled download freed its slot');
    const wav = Buffer.from(await (served as Response).arrayBuffer());
    assert.equal(wav.length, 44 + 30 * 16000 * 2 * 2);
    const downloads = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'recording.downloaded').length;
    assert.equal(downloads - downloadsBefore, 2, 'the refused request logged no download');
  });
});

describe('WAV download over a real socket', () => {
  let w: WebSite;
  let server: ServerType;
  let url: string;
  let id: string;
  before(async () => {
    w = await webSite(() => {}, { downloads: { slots: 1, queue: 0 } });
    await makeUser(w, 'sue', ['supervisor']);
    id = await w.ingestCall('in-4930123456-015112345678-20261127-142503-1764250000.4.wav', { format: 'wav-pcm16k', seconds: 30, channels: 2 });
    server = await new Promise<ServerType>((r) => {
      const s = serve({ fetch: w.app.fetch, hostname: '127.0.0.1', port: 0 }, () => r(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await w.close();
  });

  it('a_client_that_hangs_up_mid_download_frees_its_slot', async () => {
    const b = browser(w);
    await b.login('sue');
    const get = (signal?: AbortSignal) => fetch(`${url}/recordings/${id}/download?format=wav`, { headers: { Cookie: b.cookie }, signal });
    const hangUp = new AbortController();
    const first = await get(hangUp.signal);
    assert.equal(first.status, 200);
    const reader = first.body!.getReader();
    await reader.read(); // the download is under way, holding the only slot
    assert.equal((await get()).status, 503, 'the only slot is taken');
    hangUp.abort(); // the browser's download is cancelled: the socket closes
    await reader.read().catch(() => {});
    let next: Response | null = null;
    for (let i = 0; i < 100 && next?.status !== 200; i++) {
      if (next) await new Promise((r) => setTimeout(r, 100));
      next = await get();
      if (next.status !== 200) await next.arrayBuffer();
    }
    assert.equal(next!.status, 200, 'the slot came back after the hang-up');
    assert.equal((await next!.arrayBuffer()).byteLength, 44 + 30 * 16000 * 2 * 2);
  });
});

describe('streamWav', () => {
  let ff: FfmpegInfo;
  before(async () => {
    ff = await resolveFfmpeg(null);
  });

  it('sends_samples_before_the_stored_audio_is_all_read', async () => {
    // the proof of streaming: output flows while the input is still being fed
    const media = createMedia(ff, { timeoutMs: 60_000, stallMs: 20_000 });
    const path = await makeAudio(tempDir(), 'twenty', { format: 'wav-pcm8k', seconds: 20, source: 'noise' });
    const src = readFileSync(path);
    const stored = (await media.transcode(src, sniffInput(src.subarray(0, 4096), 'twenty.wav'), OPUS)).output;
    const input = new PassThrough();
    input.write(stored.subarray(0, stored.length >> 1));
    const w = await media.streamWav(async () => ({
      input, storedFormat: 'opus', head: stored.subarray(0, 4096), tail: stored.subarray(-65307), channels: 1, sampleRate: 8000, durationMs: 20_000,
    }));
    assert.equal(w.bytes, 44 + 20 * 8000 * 2);
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const c of w.body as AsyncIterable<Buffer>) {
      chunks.push(c);
      got += c.length;
      if (got > 44 + 8000 * 2 * 5) break; // five seconds of samples out, half the input still unsent
    }
    assert.ok(got > 44 + 8000 * 2 * 5 && got < w.bytes, `streamed ${got} of ${w.bytes} bytes before the input ended`);
    input.destroy();
  });

  it('a_stored_recording_that_does_not_decode_is_an_error_before_any_byte_and_frees_the_slot', async () => {
    const media = createMedia(ff, { timeoutMs: 60_000, stallMs: 20_000, downloads: { slots: 1, queue: 0 } });
    const junk = randomBytes(20_000);
    const open = async () => ({
      input: Readable.from([junk]), storedFormat: 'opus', head: junk.subarray(0, 4096), tail: junk, channels: 1, sampleRate: 8000, durationMs: 3000,
    });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(media.streamWav(open), (e) => isTresorError(e) && ['E_DECODE_FAILED', 'E_NO_AUDIO'].includes(e.code), `attempt ${i + 1}`);
    }
  });

  it('knows_an_ogg_page_end_from_an_OggS_inside_a_payload_and_writes_rf64_past_4_gib', () => {
    const page = (granule: bigint, payload: Buffer) => {
      const h = Buffer.alloc(27 + 1);
      h.write('OggS', 0, 'latin1');
      h.writeBigInt64LE(granule, 6);
      h[26] = 1;
      h[27] = payload.length;
      return Buffer.concat([h, payload]);
    };
    const tail = Buffer.concat([page(960n, Buffer.from('xx')), page(48_000n, Buffer.from('abOggS\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0cd'))]);
    assert.equal(lastGranule(tail), 48_000);
    const big = pcmWavHeader({ channels: 2, sampleRate: 48000, dataBytes: 5 * 2 ** 30 });
    const h = readWavHeader(big)!;
    assert.equal(h.container, 'RF64');
    assert.equal(h.dataBytesDeclared, 5 * 2 ** 30);
    assert.equal(h.dataOffset, big.length);
  });
});

describe('tresor extract --format wav', () => {
  it('writes_the_call_at_its_own_rate_streamed_to_the_file', async () => {
    const c = testConfig();
    const path = await makeAudio(tempDir(), 'in-4930123456-015112345678-20261127-142501-1764250009.1.wav', { format: 'wav-pcm16k', seconds: 2, channels: 2 });
    assert.equal((await cli(c, ['init'])).code, 0);
    const ing = await cli(c, ['ingest', path]);
    const id = /archived as ([0-9A-Z]{26})/.exec(ing.stdout)?.[1];
    assert.ok(id, ing.stdout + ing.stderr);
    const out = join(tempDir(), 'call.wav');
    const r = await cli(c, ['extract', id!, '--out', out, '--format', 'wav']);
    assert.equal(r.code, 0, r.stderr);
    const wav = readFileSync(out);
    assert.match(r.stdout, new RegExp(`wrote ${wav.length} bytes \\(wav, 16000 Hz, 2 channel\\(s\\)\\)`));
    const h = readWavHeader(wav)!;
    assert.equal(h.sampleRate, 16000);
    assert.equal(h.channels, 2);
    assert.equal(h.dataBytesDeclared, 2 * 16000 * 2 * 2);
    assert.equal(wav.length, 44 + h.dataBytesDeclared!);
  });
});
