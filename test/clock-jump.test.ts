import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeAudio } from './helpers/audio.ts';
import { fakeClockEnv, NO_FAKETIME } from './helpers/faketime.ts';
import { tresor } from './helpers/run.ts';
import { startServe, testConfig } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';
import { openSite } from '../src/site/open.ts';
import { addDuration, parseDuration } from '../src/policy/index.ts';
import type { RecordingRow } from '../src/store/index.ts';
import type { Config } from '../src/config/index.ts';

// Issue 9, defects 2 and 7: the wall clock of a box jumps (a dead RTC battery, a bad NTP
// server, a VM snapshot restored). Run for real: the service and the CLI under
// libfaketime, the archive on disk, real audio.

const DAY = 86_400_000;
const YEAR3 = 3 * 365 * DAY;

function freepbxName(at: number, n: number): string {
  const d = new Date(at);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-0151${40000000 + n}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17643300${p(n)}.${n}.wav`;
}

function yearPolicy(c: Config): Config {
  c.retention.policies = [{ name: 'year', match: {}, keep: 'P1Y', lock: false }];
  return c;
}

describe('clock guard under a wall clock 3 years ahead', { skip: NO_FAKETIME }, () => {
  it('clock_3y_ahead_one_ingest_then_restart_purges_nothing_and_the_new_call_waits_for_confirmation', { timeout: 240_000 }, async () => {
    const c = yearPolicy(testConfig());
    const staging = join(c.dataDir, '..', 'staging');
    mkdirSync(staging, { recursive: true });
    // 11 calls from last month, ingested with the right clock: P1Y keeps them until next year
    const files: string[] = [];
    for (let i = 0; i < 11; i++) files.push(await makeAudio(staging, freepbxName(Date.now() - (30 + i) * DAY, i), { format: 'wav-pcm8k', seconds: 1, source: 'noise', seed: 300 + i }));
    assert.equal((await tresor(c, ['init'])).code, 0);
    // the configured policy is in force before the calls arrive (a dry run syncs it)
    const dry = await tresor(c, ['purge', '--dry-run']);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const ing = await tresor(c, ['ingest', ...files]);
    assert.equal(ing.code, 0, ing.stdout + ing.stderr);

    // the box restarts with its clock 3 years ahead; the PBX (same NTP) names a new call with that date
    const clock = join(c.dataDir, '..', 'faketime');
    const ahead = fakeClockEnv(clock, '+3y');
    const serve = startServe(c, ahead);
    let err = '';
    serve.stderr!.on('data', (d) => (err += d));
    await waitFor('service up', () => /console on/.test(err) || serve.exitCode !== null, 60_000, 50);
    assert.equal(serve.exitCode, null, err);
    const late = await makeAudio(staging, freepbxName(Date.now() + YEAR3, 11), { format: 'wav-pcm8k', seconds: 1, source: 'noise', seed: 311 });
    renameSync(late, join(c.inbox, late.split('/').pop()!));
    await waitFor('the new call ingested', () => readdirSync(c.inbox).length === 0 && /archived/.test(err), 60_000, 100).catch((e: Error) => {
      serve.kill('SIGKILL');
      throw new Error(`${e.message}\nservice said:\n${err}`);
    });
    serve.kill('SIGTERM');
    await once(serve, 'exit');

    // after the restart (clock still 3 years ahead) the purge must not take the 11 calls
    const purge = await tresor(c, ['purge'], ahead);
    assert.equal(purge.code, 1, `the purge is held, not run:\n${purge.stdout}\n${purge.stderr}`);
    assert.match(purge.stdout, /PURGE HELD/);

    let site = openSite(c);
    let newest: RecordingRow;
    try {
      const rows = [...site.store.recordings.getRange()].map((e) => e.value as RecordingRow);
      assert.equal(rows.length, 12, 'all 12 calls are still in the archive');
      assert.equal(site.store.purged.count(), 0, 'nothing was purged');
      newest = rows.find((r) => r.start > Date.now() + DAY)!;
      assert.ok(newest, 'the call ingested under the wrong clock is there');
      assert.deepEqual(newest.retention, { policy: null, expiresAt: null, awaitingClock: true }, 'no expiry while the clock is suspect');
      const ingested = site.log.about('target', `recording:${newest.id}`, 5).find((e) => e.action === 'recording.ingested')!;
      assert.equal((ingested.detail.retention as { awaitingClock?: boolean }).awaitingClock, true, 'the log says why it has no expiry');
    } finally {
      await site.close();
    }

    // an admin, with the clock put right, confirms: the held call gets its expiry, nothing is due
    const confirm = await tresor(c, ['purge', '--confirm-clock']);
    assert.equal(confirm.code, 0, confirm.stdout + confirm.stderr);
    assert.match(confirm.stdout, /purged 0 recording/);
    site = openSite(c);
    try {
      assert.equal(site.store.recordings.getCount(), 12);
      const r = site.store.recordings.get(newest.id) as RecordingRow;
      assert.deepEqual(r.retention, { policy: 'year', expiresAt: addDuration(r.start, parseDuration('P1Y')) }, 'confirmed: the expiry is set');
      assert.deepEqual((await site.log.verifyAll()).problems, []);
    } finally {
      await site.close();
    }
  });
});

describe('the purge schedule when the wall clock jumps while the service runs', { skip: NO_FAKETIME }, () => {
  it('schedule_jump_3y_forward_rearms_instead_of_replaying_and_the_service_keeps_answering', { timeout: 120_000 }, async () => {
    const c = testConfig();
    // every second: the same loop as every minute, 60 times more missed slots per hour of jump
    c.retention.schedule = '* * * * * *';
    const clock = join(c.dataDir, '..', 'faketime');
    const serve = startServe(c, fakeClockEnv(clock, '+0'));
    let err = '';
    serve.stderr!.on('data', (d) => (err += d));
    try {
      await waitFor('service up', () => /console on/.test(err) || serve.exitCode !== null, 60_000, 50);
      const url = /console on (\S+),/.exec(err)![1]!;
      const health = async () => (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).status;
      assert.equal(await health(), 200);
      await waitFor('a scheduled purge ran', () => /purge: \d+ recordings purged/.test(err), 30_000, 50);

      writeFileSync(clock, '+3y\n');
      // a few of the schedule's beats go by; each would have replayed ~94 million missed slots
      await new Promise((r) => setTimeout(r, 2500));
      for (let i = 0; i < 3; i++) {
        assert.equal(await health().catch((e: Error) => `no answer: ${e.message}`), 200, `the service answers after the jump (round ${i})`);
        await new Promise((r) => setTimeout(r, 300));
      }
      assert.match(err, /clock jumped [^\n]*schedule re-armed/, 'the service says what it saw and did');
      assert.match(err, /purge HELD/, 'and the purge after the jump is held for an admin');
    } finally {
      serve.kill('SIGKILL');
      await once(serve, 'exit').catch(() => undefined);
    }
  });
});
