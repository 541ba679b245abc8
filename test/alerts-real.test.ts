import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { startService } from '../src/service.ts';
import { createCosigner } from '../src/crypto/cosigner.ts';
import { addUser, createApiToken } from '../src/auth/index.ts';
import { makeAudio } from './helpers/audio.ts';
import { testConfig } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';

// Issue 14 "Tests": rules triggered for real in a running service — a burst of plays
// through the API (an integration token reading more calls an hour than allowed) and a
// witness that cannot be reached (a configured port nobody listens on), each raising its
// alert with the log entry and no personal data.

const freePort = () => new Promise<number>((r) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port;
    s.close(() => r(p));
  });
});

test('a burst of plays through the API and an unreachable witness raise their alerts in a running service', { timeout: 180_000 }, async () => {
  const c = testConfig();
  c.alerts.rules.unusualAccess.playsPerHour = 2;
  c.alerts.intervalSeconds = 3600; // evaluated by the test, not the timer
  c.log.witnesses = [{ url: `http://127.0.0.1:${await freePort()}`, vkey: createCosigner('witness.test/down', randomBytes(32)).vkey }];
  const work = mkdtempSync(join(tmpdir(), 'tresor-alerts-real-'));
  const svc = await startService(c, () => undefined);
  try {
    for (let i = 0; i < 3; i++) {
      const f = await makeAudio(work, `in-4930123456-01512000000${i}-20261130-10150${i}-176425110${i}.${i}.wav`, { format: 'wav-pcm8k', seconds: 2, source: 'noise', seed: i + 1 });
      renameSync(f, join(c.inbox, `in-4930123456-01512000000${i}-20261130-10150${i}-176425110${i}.${i}.wav`));
    }
    await waitFor('3 calls archived', () => svc.site.store.recordings.count() === 3, 90_000, 100);
    const ids = [...svc.site.store.recordings.ids()];
    await addUser(svc.site.store, svc.site.log, 'cli:test', { name: 'crm', roles: ['supervisor'], password: 'a long enough password 42' });
    const { token, row } = await createApiToken(svc.site.store, svc.site.log, 'cli:test', 'crm', 'crm-export');
    for (const id of ids) {
      const r = await fetch(`http://127.0.0.1:${new URL(svc.url).port}/api/recordings/${id}/audio`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    await svc.site.log.checkpointNow();
    await waitFor('the witness client gave up a first time', () => svc.witnesses.status()[0]?.lastError != null, 60_000, 100);

    const raised = (await svc.alerts.evaluateNow()).filter((t) => t.event === 'raised').map((t) => t.row);
    const plays = raised.find((r) => r.rule === 'unusualAccess' && r.detail.kind === 'plays');
    assert.ok(plays, JSON.stringify(raised.map((r) => r.key)));
    assert.equal(plays.severity, 'critical');
    assert.equal(plays.detail.lastHour, 3);
    assert.match(plays.subject ?? '', new RegExp(`^(token:${row.id}|user:crm)`));
    const w = raised.find((r) => r.rule === 'witness');
    assert.ok(w, JSON.stringify(raised.map((r) => r.key)));
    assert.equal(w.detail.state, 'unreachable');

    const entries = svc.site.log.entries(0, svc.site.log.size()).filter((e) => e.action === 'alert.raised');
    assert.ok(entries.some((e) => e.detail.rule === 'unusualAccess') && entries.some((e) => e.detail.rule === 'witness'));
    assert.doesNotMatch(JSON.stringify(entries), /4930123456|015120000/, 'no numbers in the alert entries');
  } finally {
    await svc.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

const canMount = process.getuid?.() === 0;
test('a data disk filling up (a real 24 MB tmpfs) raises the disk forecast alert', { skip: canMount ? false : 'needs root to mount a small tmpfs', timeout: 120_000 }, async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { webSite } = await import('./helpers/web.ts');
  const { createAlerts, journalChannel } = await import('../src/alerts/index.ts');
  const mnt = mkdtempSync(join(tmpdir(), 'tresor-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m,mode=0700', 'tmpfs', mnt]);
  let w: Awaited<ReturnType<typeof webSite>> | null = null;
  try {
    w = await webSite((c) => {
      c.dataDir = join(mnt, 'data');
      c.ingest.minFreeMiB = 1;
    });
    mkdirSync(w.config.dataDir, { recursive: true });
    await w.ingestCall('in-4930123456-015120000009-20261130-101500-1764251109.9.wav', { seconds: 20, source: 'noise' });
    await w.ingestCall('in-4930123456-015120000008-20261130-101600-1764251108.8.wav', { seconds: 20, source: 'noise' });
    const lines: string[] = [];
    // the box was set up two days ago: its growth is what these calls add per day
    const alerts = createAlerts({ store: w.site.store, log: w.site.log, config: w.config, createdAt: Date.now() - 2 * 86_400_000, live: () => ({ oldestWaitingSince: null, witnesses: [] }), channels: [journalChannel((l) => lines.push(l))] });
    const before = (await alerts.evaluateNow()).filter((t) => t.event === 'raised' && t.row.rule === 'diskForecast');
    assert.deepEqual(before, [], 'an almost empty 24 MB disk is no alarm at this rate');
    // something else fills the disk: a few hundred KiB are left
    const { statfsSync } = await import('node:fs');
    const s = statfsSync(mnt);
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(Math.max(0, s.bavail * s.bsize - 1024 * 1024 - 300 * 1024)));
    // the forecast's growth is cached for 10 minutes: a new engine (as after the cache expires)
    const { gatherInputs } = await import('../src/alerts/index.ts');
    const i = await gatherInputs({ store: w.site.store, config: w.config, createdAt: Date.now() - 2 * 86_400_000, live: { oldestWaitingSince: null, witnesses: [], selfCheck: null }, now: Date.now() + 11 * 60_000 });
    assert.ok(i.diskDaysLeft !== null && i.diskDaysLeft < 14, `days left ${i.diskDaysLeft}`);
    const raised = (await alerts.evaluateNow()).filter((t) => t.event === 'raised' && t.row.rule === 'diskForecast');
    assert.equal(raised.length, 1, JSON.stringify(raised));
    assert.ok((raised[0]!.row.detail.daysLeft as number) < 14);
    assert.ok(lines.some((l) => /diskForecast/.test(l)), 'the journal has it');
  } finally {
    await w?.close();
    execFileSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});
