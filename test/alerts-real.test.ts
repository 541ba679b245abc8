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
