import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { makeAudio } from './helpers/audio.ts';
import { testConfig, cli, startServe } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';
import type { RecordingView } from '../src/core/types.ts';

// kill -9 of the real service at random moments while it ingests, several times over:
// afterwards every file is archived exactly once, nothing is left in the inbox, and
// fsck and the log verify clean. (DESIGN §4: bytes, index, log, then the source.)

test('crash_kill9_during_ingest_loses_nothing_and_stores_nothing_twice', { timeout: 240_000 }, async () => {
  const c = testConfig({ workers: 2 });
  const staging = join(c.dataDir, '..', 'staging');
  mkdirSync(staging, { recursive: true });
  const formats = ['wav-pcm8k', 'wav-ulaw', 'wav-alaw', 'mp3'] as const;
  const hashes = new Set<string>();
  const names: string[] = [];
  for (let i = 0; i < 12; i++) {
    const name = `in-4930123456-0151123456${String(i).padStart(2, '0')}-20261127-1530${String(i).padStart(2, '0')}-1764260000.${i}`;
    const format = formats[i % 4]!;
    const ext = format === 'mp3' ? '.mp3' : '.wav';
    const p = await makeAudio(staging, name + ext, { format, seconds: 10 + (i % 4) * 8, channels: i % 4 === 0 ? 2 : 1, source: 'noise', seed: 100 + i });
    hashes.add(createHash('sha256').update(readFileSync(p)).digest('hex'));
    names.push(p);
  }
  assert.equal(hashes.size, 12, 'the corpus must hold 12 different recordings');
  for (const p of names) renameSync(p, join(c.inbox, p.split('/').pop()!));

  const kills: number[] = [];
  for (let round = 0; round < 5; round++) {
    const child = startServe(c);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    await waitFor('service up', () => /console on/.test(err) || child.exitCode !== null, 30_000, 20);
    assert.equal(child.exitCode, null, `round ${round}: service exited early:\n${err}`);
    const delay = 100 + Math.floor(Math.random() * 1200);
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await once(child, 'exit');
    kills.push(delay);
  }

  const child = startServe(c);
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  await waitFor('service up', () => /console on/.test(err) || child.exitCode !== null, 30_000, 20);
  await waitFor('inbox empty', () => readdirSync(c.inbox).length === 0, 120_000, 200).catch((e: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${e.message}\ninbox still holds: ${readdirSync(c.inbox).join(', ')}\nkills after ${kills.join(', ')} ms; service said:\n${err}`);
  });
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, err);

  const list = await cli(c, ['list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const rows = JSON.parse(list.stdout) as RecordingView[];
  assert.equal(rows.length, 12, `kills after ${kills.join(', ')} ms; service said:\n${err}`);
  assert.deepEqual(new Set(rows.map((r) => r.sourceSha256)), hashes);
  const fsck = await cli(c, ['fsck']);
  assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
  const verify = await cli(c, ['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
});
