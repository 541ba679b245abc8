import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readdirSync, readFileSync, existsSync, symlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { makeAudio, truncatedWav, makeHostile } from './helpers/audio.ts';
import { testConfig, cli } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';
import { startService, type Service } from '../src/service.ts';
import { sourceRef } from '../src/ingest/source.ts';
import type { Config } from '../src/config/index.ts';
import type { RecordingView } from '../src/core/types.ts';

// One real service (in-process: real LMDB, real ffmpeg, real HTTP on loopback) fed with
// the files a PBX drops, good and bad; every assertion is about what a user would see.

let c: Config;
let svc: Service;
const said: string[] = [];
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function inboxFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), rel + e.name + '/');
      else out.push(rel + e.name);
    }
  };
  walk(c.inbox, '');
  return out.sort();
}

async function list(): Promise<RecordingView[]> {
  const r = await cli(c, ['list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as RecordingView[];
}

before(async () => {
  c = testConfig({ maxFileMiB: 2 });
  svc = await startService(c, (m) => said.push(m));
});
after(async () => {
  await svc?.stop();
});

test('ingest_archives_every_pbx_codec_and_parses_freepbx_names', async () => {
  const day = join(c.inbox, '2026/11/27');
  mkdirSync(day, { recursive: true });
  const staging = join(c.dataDir, '..', 'staging');
  mkdirSync(staging, { recursive: true });
  const cases: [string, Parameters<typeof makeAudio>[2]][] = [
    ['in-4930123456-015112345678-20261127-142501-1764250000.1.wav', { format: 'wav-pcm8k', seconds: 2 }],
    ['in-4930123456-015112345679-20261127-142502-1764250000.2.wav', { format: 'wav-pcm16k', seconds: 2 }],
    ['out-015112345670-201-20261127-142503-1764250000.3.wav', { format: 'wav-ulaw', seconds: 2 }],
    ['out-015112345671-202-20261127-142504-1764250000.4.wav', { format: 'wav-alaw', seconds: 2 }],
    ['in-4930123456-015112345672-20261127-142505-1764250000.5.wav', { format: 'wav-gsm', seconds: 2 }],
    ['in-4930123456-015112345673-20261127-142506-1764250000.6.mp3', { format: 'mp3', seconds: 2 }],
    ['in-4930123456-015112345674-20261127-142507-1764250000.7.wav', { format: 'wav-pcm8k', seconds: 2, channels: 2 }],
    ['internal-202-201-20261127-142508-1764250000.8.ulaw', { format: 'raw-ulaw', seconds: 2 }],
  ];
  // Files are made elsewhere and renamed in, as a PBX finishing a call does.
  for (const [name, o] of cases) {
    const p = await makeAudio(staging, name, o);
    execFileSync('mv', [p, join(day, name)]);
  }
  const rows = await waitFor('all 8 archived', async () => {
    const r = await list();
    return r.length === 8 ? r : null;
  });
  assert.deepEqual(inboxFiles(), [], 'sources are removed once archived');
  const byCall = new Map(rows.map((r) => [r.callId, r]));
  const first = byCall.get('1764250000.1')!;
  assert.equal(first.direction, 'in');
  assert.equal(first.from, '+4915112345678');
  assert.equal(first.to, '+4930123456');
  assert.equal(first.sourceName, '2026/11/27/in-4930123456-015112345678-20261127-142501-1764250000.1.wav');
  assert.ok(Math.abs(first.durationMs - 2000) < 150, `duration ${first.durationMs}`);
  assert.equal(byCall.get('1764250000.7')!.channels, 2);
  assert.equal(byCall.get('1764250000.3')!.direction, 'out');
  assert.equal(byCall.get('1764250000.8')!.direction, 'internal');
  for (const r of rows) assert.equal(r.storedFormat, 'opus');

  // extract gives playable Ogg/Opus with the call's length and channels
  const out = join(staging, 'stereo.opus');
  const x = await cli(c, ['extract', byCall.get('1764250000.7')!.id, '--out', out]);
  assert.equal(x.code, 0, x.stderr);
  assert.equal(readFileSync(out).subarray(0, 4).toString(), 'OggS');
  const probe = execFileSync('ffmpeg', ['-hide_banner', '-i', out, '-f', 'null', '-'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  void probe;
  const wav = join(staging, 'stereo.wav');
  assert.equal((await cli(c, ['extract', byCall.get('1764250000.7')!.id, '--out', wav, '--format', 'wav'])).code, 0);
  const h = readFileSync(wav);
  assert.equal(h.toString('ascii', 0, 4), 'RIFF');
  assert.equal(h.readUInt16LE(22), 2, 'WAV export keeps both channels');
});

test('ingest_quarantines_bad_input_byte_identical_with_a_reason', async () => {
  const staging = join(c.dataDir, '..', 'bad');
  mkdirSync(staging, { recursive: true });
  const files = {
    empty: join(staging, 'empty.wav'),
    trunc: await truncatedWav(staging, 'trunc.wav', { seconds: 2, keep: 0.5 }),
    hls: await makeHostile(staging, 'playlist.wav', 'hls'),
    random: await makeHostile(staging, 'noise.wav', 'random'),
  };
  writeFileSync(files.empty, '');
  const hashes = Object.fromEntries(Object.entries(files).map(([k, p]) => [k, sha(p)]));
  for (const p of Object.values(files)) execFileSync('mv', [p, c.inbox]);
  const q = await waitFor('4 in quarantine', async () => {
    const r = await cli(c, ['quarantine', 'list', '--json']);
    const rows = JSON.parse(r.stdout) as { id: string; code: string; sourceSha256: string }[];
    return rows.length >= 4 ? rows : null;
  });
  const codes = Object.fromEntries(q.map((r) => [r.sourceSha256, r.code]));
  assert.equal(codes[hashes.trunc!], 'E_TRUNCATED');
  assert.equal(codes[hashes.hls!], 'E_UNSUPPORTED_FORMAT');
  assert.equal(codes[hashes.random!], 'E_UNSUPPORTED_FORMAT');
  assert.equal(codes[hashes.empty!], 'E_EMPTY_FILE');
  assert.deepEqual(inboxFiles(), []);
  for (const r of q) {
    const reason = JSON.parse(readFileSync(join(c.dataDir, 'quarantine', r.id, 'reason.json'), 'utf8'));
    assert.equal(reason.code, r.code);
    assert.ok(reason.message.length > 10);
    const back = join(staging, `restored-${r.id}`);
    assert.equal((await cli(c, ['quarantine', 'restore', r.id, '--out', back])).code, 0);
    assert.equal(sha(back), r.sourceSha256, 'restored bytes are identical');
  }
  const status = await cli(c, ['status']);
  assert.match(status.stdout, /quarantine 4 file\(s\)/);
  assert.match(status.stdout, /E_TRUNCATED/);
});

test('ingest_leaves_oversized_files_links_and_fifos_alone_and_says_why', async () => {
  const big = join(c.inbox, 'huge.wav');
  writeFileSync(big, Buffer.alloc(3 * 1024 * 1024, 1));
  const outside = await makeAudio(join(c.dataDir, '..'), 'outside', { format: 'wav-pcm8k', seconds: 1 });
  symlinkSync(outside, join(c.inbox, 'link.wav'));
  execFileSync('mkfifo', [join(c.inbox, 'pipe.wav')]);
  // the journal names each file by its reference, never by its name (names carry numbers)
  const ref = (f: string) => sourceRef(svc.site.keys, join(c.inbox, f));
  const refs = ['huge.wav', 'link.wav', 'pipe.wav'].map(ref);
  await waitFor('three rejections', () => said.filter((m) => refs.some((r) => m.includes(`not taking file ${r}:`))).length >= 3 ? true : null, 20_000);
  assert.ok(said.some((m) => m.includes(`file ${ref('huge.wav')}: E_TOO_LARGE`)));
  assert.ok(said.some((m) => m.includes(`file ${ref('link.wav')}: E_NOT_REGULAR_FILE`)));
  assert.ok(said.some((m) => m.includes(`file ${ref('pipe.wav')}: E_NOT_REGULAR_FILE`)));
  assert.ok(!said.some((m) => /(huge|link|pipe)\.wav/.test(m)), 'no file name in the journal');
  assert.ok(existsSync(outside), 'the link target is untouched');
  assert.deepEqual(inboxFiles(), ['huge.wav', 'link.wav', 'pipe.wav']);
  for (const f of ['huge.wav', 'link.wav', 'pipe.wav']) execFileSync('rm', [join(c.inbox, f)]);
});

test('ingest_keeps_odd_names_exactly_and_stores_a_repeated_delivery_once', async () => {
  const staging = join(c.dataDir, '..', 'odd');
  mkdirSync(staging, { recursive: true });
  const names = ['Anruf Müller (2) [ärger].wav', 'a%2F..%2Fb..wav', '通话 録音.wav'];
  for (const n of names) {
    const p = await makeAudio(staging, n, { format: 'wav-ulaw', seconds: 1, source: 'noise' });
    writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.from(n)])); // distinct bytes per file
  }
  const again = await makeAudio(staging, 'first.wav', { format: 'wav-pcm8k', seconds: 1 });
  const copy = join(staging, 'second.wav');
  writeFileSync(copy, readFileSync(again));
  // counted before the files go in: the service ingests while the CLI runs
  const before = (await list()).length;
  for (const n of names) execFileSync('mv', [join(staging, n), c.inbox]);
  execFileSync('mv', [again, c.inbox]);
  await waitFor('odd names archived', async () => (await list()).length === before + 4);
  execFileSync('mv', [copy, c.inbox]);
  await waitFor('inbox empty', () => inboxFiles().length === 0);
  const rows = await list();
  assert.equal(rows.length, before + 4, 'the second delivery is not stored again');
  for (const n of names) assert.ok(rows.some((r) => r.sourceName === n), n);
  const logDup = await cli(c, ['audit', 'verify']);
  assert.equal(logDup.code, 0, logDup.stdout + logDup.stderr);
});

test('ingest_data_directory_holds_no_plaintext_numbers_names_or_audio', async () => {
  await svc.site.log.checkpointNow();
  const needles = ['4930123456', '15112345678', '015112345678', 'Müller', 'RIFF', 'OggS', 'Anruf', 'LAME'];
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      // lock.mdb holds only LMDB's reader table. Opening and closing it in this process
      // would drop the service's POSIX record locks on it (close() releases every lock the
      // process holds on the file), and the next process to open the index would then
      // reset the lock table under the live service: its next commit fails with EINVAL.
      if (e.name === 'lock.mdb') continue;
      if (e.isDirectory()) walk(p);
      else if (statSync(p).size < 200 * 1024 * 1024) {
        const b = readFileSync(p);
        for (const n of needles) if (b.includes(Buffer.from(n))) hits.push(`${p}: ${n}`);
      }
    }
  };
  walk(c.dataDir);
  assert.deepEqual(hits, []);
});

test('fsck_is_clean_after_all_of_the_above', async () => {
  const r = await cli(c, ['fsck']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /clean/);
});
