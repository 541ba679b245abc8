// The ffmpeg runner's failure paths: stall and hard time limits, early exit while we still
// write (EPIPE), a failing input stream, a missing binary, and that no child outlives a call.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { isTresorError, type TresorError } from '../src/core/errors.ts';
import { buildArgs } from '../src/media/args.ts';
import { createMedia, type InputFormat } from '../src/media/index.ts';
import { runFfmpeg, STDIO_GRACE_MS } from '../src/media/run.ts';
import { makeAudio, wavHeader } from './helpers/audio.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FF = '/usr/bin/ffmpeg';
const WAV: InputFormat = { demuxer: 'wav', inputArgs: [], label: 'WAV (RIFF)', channelsHint: 1 };
const OPUS_ARGS = buildArgs(WAV, { kind: 'opus', kbps: 16, compressionLevel: 0 });

/** PCM that is not silence, so the encoder has work to do */
function tone(samples: number): Buffer {
  const b = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(8000 * Math.sin(i / 3)), i * 2);
  return b;
}

/** Sends a WAV header promising 60 s and `first` bytes of samples, then `drip` every `everyMs`, never ending. */
function hangingWav(first: number, drip = 0, everyMs = 100): Readable & { destroyedByRunner(): boolean } {
  let sent = false;
  let timer: NodeJS.Timeout | undefined;
  const r = new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataBytes: 960_000 }), tone(first / 2)]));
        if (drip) timer = setInterval(() => this.push(tone(drip / 2)), everyMs);
      }
    },
    destroy(err, cb) {
      clearInterval(timer);
      cb(err);
    },
  });
  return Object.assign(r, { destroyedByRunner: () => r.destroyed });
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

describe('runFfmpeg limits', () => {
  it('run_inputStopsMidStream_killedByStallWatchdog', async () => {
    const input = hangingWav(16000);
    let pid = 0;
    const started = Date.now();
    await assert.rejects(
      runFfmpeg(FF, OPUS_ARGS, { input, timeoutMs: 30_000, stallMs: 700, onSpawn: (p) => (pid = p) }),
      (e: unknown) => isTresorError(e, 'E_FFMPEG_TIMEOUT') && e.retryable && e.detail.reason === 'stall',
    );
    const took = Date.now() - started;
    assert.ok(took >= 700 && took < 2500, `killed after ${took} ms, stall limit 700 ms`);
    assert.ok(pid > 0 && gone(pid), 'the child was reaped');
    assert.ok(input.destroyedByRunner(), 'the input stream was released');
  });

  it('run_slowButSteadyInput_notAStall_butHardTimeoutHolds', async () => {
    // 0.1 s of audio every 100 ms keeps ffmpeg busy: no stall, only the hard limit ends it
    const input = hangingWav(1600, 1600, 100);
    let pid = 0;
    const started = Date.now();
    await assert.rejects(
      runFfmpeg(FF, OPUS_ARGS, { input, timeoutMs: 1500, stallMs: 1000, onSpawn: (p) => (pid = p) }),
      (e: unknown) => isTresorError(e, 'E_FFMPEG_TIMEOUT') && e.detail.reason === 'timeout',
    );
    assert.ok(Date.now() - started < 3000);
    assert.ok(gone(pid));
  });

  it('transcode_hangingStream_throwsTimeoutThroughMediaApi', async () => {
    const media = createMedia({ path: FF, source: 'system', version: 'x', hasLibopus: true, hasFlac: true }, { timeoutMs: 30_000, stallMs: 600 });
    const err = await media.transcode(hangingWav(8000), WAV, { format: 'opus', kbpsPerChannel: 16, compressionLevel: 5 }).catch((e: TresorError) => e);
    assert.ok(isTresorError(err, 'E_FFMPEG_TIMEOUT'), String(err));
    assert.ok(gone(err.detail.pid as number), 'no ffmpeg left behind');
  });

  it('run_abortSignal_killsAndReaps', async () => {
    const ac = new AbortController();
    let pid = 0;
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(
      runFfmpeg(FF, OPUS_ARGS, { input: hangingWav(1600), timeoutMs: 30_000, stallMs: 30_000, signal: ac.signal, onSpawn: (p) => (pid = p) }),
      (e: unknown) => isTresorError(e, 'E_FFMPEG_TIMEOUT') && e.detail.reason === 'aborted',
    );
    assert.ok(gone(pid));
  });
});

describe('runFfmpeg early exits and input failures', () => {
  it('run_ffmpegStopsReadingEarly_epipeIgnored', async () => {
    // the data chunk says 0.1 s; 4 MB of further bytes follow that ffmpeg never reads
    /** a killed orphan is a zombie until init reaps it: give that a moment */
  async function goneSoon(pid: number): Promise<boolean> {
    for (let i = 0; i < 50 && !gone(pid); i++) {
      const st = (() => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return ''; } })();
      if (/^\d+ \(.*\) Z/.test(st)) return true; // killed, waiting to be reaped
      await new Promise((r) => setTimeout(r, 20));
    }
    return gone(pid);
  }
  const wav = Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataBytes: 1600 }), tone(800), Buffer.alloc(4 * 1024 * 1024, 7)]);
    const r = await runFfmpeg(FF, OPUS_ARGS, { input: wav, timeoutMs: 10_000, stallMs: 5_000 });
    assert.equal(r.stdout.toString('latin1', 0, 4), 'OggS');
    assert.ok(r.stderr.outTimeUs! < 200_000);
    // the same as a stream, kept for 'original' storage: every byte arrives, not just what ffmpeg read
    const kept = await runFfmpeg(FF, OPUS_ARGS, { input: Readable.from([wav.subarray(0, 5000), wav.subarray(5000)]), keepInput: true, timeoutMs: 10_000, stallMs: 5_000 });
    assert.equal(kept.inputBytes, wav.length);
    assert.ok(kept.input!.equals(wav));
  });

  it('run_ffmpegFailsWhileWeWrite_decodeFailedNotEpipe', async () => {
    const junk = Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(3 * 1024 * 1024, 0xab)]);
    const args = buildArgs({ demuxer: 'flac', inputArgs: [], label: 'FLAC', channelsHint: 1 }, { kind: 'probe' });
    await assert.rejects(runFfmpeg(FF, args, { input: junk, timeoutMs: 10_000, stallMs: 5_000 }), (e: unknown) => {
      assert.ok(isTresorError(e) && ['E_DECODE_FAILED', 'E_NO_AUDIO'].includes(e.code), String(e));
      assert.equal(typeof e.detail.exitCode, 'number');
      return true;
    });
  });

  it('run_inputStreamErrors_ioErrorAndChildReaped', async () => {
    let pid = 0;
    let n = 0;
    const input = new Readable({
      read() {
        if (n++ === 0) this.push(wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataBytes: 160_000 }));
        else setTimeout(() => this.destroy(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' })), 50);
      },
    });
    await assert.rejects(runFfmpeg(FF, OPUS_ARGS, { input, timeoutMs: 10_000, stallMs: 5_000, onSpawn: (p) => (pid = p) }), (e: unknown) => isTresorError(e, 'E_IO') && e.retryable);
    assert.ok(gone(pid));
  });

  it('run_missingBinary_ffmpegMissing', async () => {
    await assert.rejects(runFfmpeg('/nonexistent/ffmpeg', OPUS_ARGS, { input: Buffer.alloc(10), timeoutMs: 1000, stallMs: 1000 }), (e: unknown) => isTresorError(e, 'E_FFMPEG_MISSING'));
  });

  it('run_protocolWhitelist_stopsAConcatFromOpeningFiles', async () => {
    // defence in depth: even a demuxer that lists files cannot open them through our
    // pipe-only whitelist; the control run with 'file' allowed shows the script works
    const dir = await mkdtemp(join(tmpdir(), 'tresor-run-'));
    try {
      const secret = await makeAudio(dir, 'secret', { format: 'wav-pcm8k', seconds: 1 });
      const script = Buffer.from(`ffconcat version 1.0\nfile 'file:${secret}'\n`);
      const args = (wl: string) => ['-nostdin', '-hide_banner', '-nostats', '-progress', 'pipe:2', '-protocol_whitelist', wl, '-f', 'concat', '-safe', '0', '-i', 'pipe:0', '-f', 'null', '-'];
      const control = await runFfmpeg(FF, args('pipe,file'), { input: script, timeoutMs: 10_000, stallMs: 5_000 });
      assert.equal(control.stderr.outTimeUs, 1_000_000, 'control: with file allowed, the secret is read');
      await assert.rejects(runFfmpeg(FF, args('pipe'), { input: script, timeoutMs: 10_000, stallMs: 5_000 }), (e: unknown) => {
        assert.ok(isTresorError(e), String(e));
        assert.match((e.detail.stderr as string[]).join('\n'), /Protocol 'file' not on whitelist 'pipe'/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// TRESOR_FFMPEG may name a vendor wrapper script that forks. Its helper inherits our pipes;
// killing only the direct child left that helper holding them, the run never settled, and
// neither did the ingest or the service's stop (issue 9, item 5).
describe('runFfmpeg with a forking wrapper', () => {
  /** A wrapper that starts `helper` in the background (inheriting stdio), then runs `body`. */
  async function wrapper(body: string, helper = 'sleep 300'): Promise<{ path: string; helperPid(): number; dir: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'tresor-wrap-'));
    const path = join(dir, 'ffmpeg-wrapper');
    const pidFile = join(dir, 'helper.pid');
    await writeFile(path, `#!/bin/sh\n${helper} &\necho $! > ${pidFile}\n${body}\n`, { mode: 0o755 });
    return { path, dir, helperPid: () => Number(readFileSync(pidFile, 'utf8').trim()) };
  }
  /** fails the test instead of hanging it when the run never settles */
  function within<T>(ms: number, p: Promise<T>): Promise<T> {
    let t: NodeJS.Timeout;
    return Promise.race([p, new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error(`run did not settle within ${ms} ms`)), ms)))]).finally(() => clearTimeout(t));
  }
  /** a killed orphan is a zombie until init reaps it: give that a moment */
  async function goneSoon(pid: number): Promise<boolean> {
    for (let i = 0; i < 50 && !gone(pid); i++) {
      const st = (() => { try { return readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return ''; } })();
      if (/^\d+ \(.*\) Z/.test(st)) return true; // killed, waiting to be reaped
      await new Promise((r) => setTimeout(r, 20));
    }
    return gone(pid);
  }
  const wav = Buffer.concat([wavHeader({ sampleRate: 8000, channels: 1, bitsPerSample: 16, dataBytes: 16000 }), tone(8000)]);

  it('run_wrapperHangsWithAGrandchildHoldingStdio_stallKillsTheWholeGroup', async () => {
    const w = await wrapper('wait');
    try {
      const started = Date.now();
      await assert.rejects(
        within(8000, runFfmpeg(w.path, OPUS_ARGS, { input: wav, timeoutMs: 30_000, stallMs: 700 })),
        (e: unknown) => isTresorError(e, 'E_FFMPEG_TIMEOUT') && e.detail.reason === 'stall',
      );
      assert.ok(Date.now() - started < 3000, `settled after ${Date.now() - started} ms (stall 700 ms)`);
      assert.ok(await goneSoon(w.helperPid()), 'the grandchild was killed with the group');
    } finally {
      try { process.kill(w.helperPid(), 'SIGKILL'); } catch { /* gone */ }
      await rm(w.dir, { recursive: true, force: true });
    }
  });

  it('run_wrapperExecsFfmpegButLeavesAHelper_succeedsAndTheHelperGoes', async () => {
    const w = await wrapper(`exec ${FF} "$@"`);
    try {
      const r = await within(8000, runFfmpeg(w.path, OPUS_ARGS, { input: wav, timeoutMs: 30_000, stallMs: 5000 }));
      assert.equal(r.stdout.toString('latin1', 0, 4), 'OggS');
      assert.ok(Math.abs(r.stderr.outTimeUs! - 1_000_000) < 50_000, `duration ${r.stderr.outTimeUs} µs`);
      assert.ok(await goneSoon(w.helperPid()), 'the helper holding our pipes was killed once ffmpeg exited');
    } finally {
      try { process.kill(w.helperPid(), 'SIGKILL'); } catch { /* gone */ }
      await rm(w.dir, { recursive: true, force: true });
    }
  });

  it('run_helperEscapesTheGroup_runStillSettlesShortlyAfterTheExit', async () => {
    // setsid moves the helper out of our group: it cannot be killed with it, but the run
    // must not wait for it either
    const w = await wrapper(`exec ${FF} "$@"`, 'setsid sleep 300');
    try {
      const started = Date.now();
      const r = await within(8000, runFfmpeg(w.path, OPUS_ARGS, { input: wav, timeoutMs: 30_000, stallMs: 5000 }));
      assert.equal(r.stdout.toString('latin1', 0, 4), 'OggS');
      assert.ok(Date.now() - started < 1000 + STDIO_GRACE_MS + 2000, `settled after ${Date.now() - started} ms`);
    } finally {
      try { process.kill(w.helperPid(), 'SIGKILL'); } catch { /* gone */ }
      await rm(w.dir, { recursive: true, force: true });
    }
  });
});
