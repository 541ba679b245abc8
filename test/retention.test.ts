import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { webSite, type WebSite } from './helpers/web.ts';
import { cliPrincipal } from '../src/auth/index.ts';
import { listPolicies, savePolicy } from '../src/retention/policies.ts';
import { evaluate, type Policy } from '../src/policy/index.ts';
import { planPurge, runPurge, whyStillHere } from '../src/retention/purge.ts';
import type { PurgedRow, PurgeRunRow } from '../src/store/index.ts';
import { clockProblem, confirmClock, clockHold } from '../src/retention/clock-guard.ts';
import { createPurgeScheduler, purgeWithGuards } from '../src/retention/run.ts';
import { addDuration, parseDuration } from '../src/policy/index.ts';
import { dropRecording, putRecording, type RecordingRow } from '../src/store/index.ts';
import { newId } from '../src/core/ids.ts';
import { fsck } from '../src/site/fsck.ts';
import { configFile, envFor, TRESOR } from './helpers/site.ts';
import { openSite } from '../src/site/open.ts';
import { isTresorError } from '../src/core/errors.ts';
import { executePolicyChange, requestPolicyChange } from '../src/retention/policy-change.ts';
import { decide, runApproved } from '../src/approvals/index.ts';

// Retention on a real archive with real audio: policies decide expiry at ingest, locked
// policies only grow, the purge crypto-shreds what is due (and nothing else), proves it in
// the log and a report, and refuses to run on a clock that jumped.

const SUPPORT: Policy = { name: 'support', match: { queue: ['support'] }, keep: 'P30D', lock: false };
const MIFID: Policy = { name: 'mifid', match: { purpose: ['advice'] }, keep: 'P5Y', lock: true };
const DAY = 86400_000;

function freepbxName(daysAgo: number, n: number): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-0151${20000000 + n}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642500${p(n)}.${n}.wav`;
}

describe('retention and purge', () => {
  let w: WebSite;
  const ids: Record<string, string> = {};

  before(async () => {
    w = await webSite();
    await savePolicy(w.site.store, w.site.log, 'user:admin', SUPPORT.name, SUPPORT);
    await savePolicy(w.site.store, w.site.log, 'user:admin', MIFID.name, MIFID);
    ids.oldSupport = await w.ingestCall(freepbxName(40, 1), { seconds: 3 }, { queue: 'support' });
    ids.newSupport = await w.ingestCall(freepbxName(5, 2), { seconds: 4 }, { queue: 'support' });
    ids.oldAdvice = await w.ingestCall(freepbxName(40, 3), { seconds: 5 }, { queue: 'support', purpose: 'advice' });
    ids.noPolicy = await w.ingestCall(freepbxName(400, 4), { seconds: 6 }, { queue: 'sales' });
  });
  after(() => w?.close());

  const row = (id: string) => w.site.store.recordings.get(id) as RecordingRow;

  it('decides each call\'s expiry at ingest: the longest matching policy wins, no policy means no expiry', () => {
    assert.equal(row(ids.oldSupport!).retention!.policy, 'support');
    assert.equal(row(ids.oldSupport!).retention!.expiresAt, addDuration(row(ids.oldSupport!).start, parseDuration('P30D')));
    assert.equal(row(ids.oldAdvice!).retention!.policy, 'mifid', 'support (30 days) and mifid (5 years) match: 5 years wins');
    assert.deepEqual(row(ids.noPolicy!).retention, { policy: null, expiresAt: null });
    const ingested = w.site.log.about('target', `recording:${ids.oldSupport}`, 5).find((e) => e.action === 'recording.ingested')!;
    assert.equal((ingested.detail.retention as { policy: string }).policy, 'support');
  });

  it('keeps a locked policy from being shortened, narrowed, unlocked or removed — and lets it grow', async () => {
    const { store, log } = w.site;
    for (const [change, why] of [
      [{ ...MIFID, keep: 'P4Y' }, /cannot be shortened|not shortened/],
      [{ ...MIFID, match: { purpose: ['advice'], queue: ['support'] } }, /cannot change/],
      [{ ...MIFID, lock: false }, /cannot be unlocked/],
      [null, /cannot be removed/],
    ] as const) {
      await assert.rejects(savePolicy(store, log, 'user:admin', 'mifid', change as Policy | null), (e: unknown) => isTresorError(e, 'E_LOCKED') && why.test((e as Error).message));
    }
    assert.equal(listPolicies(store).find((p) => p.name === 'mifid')!.keep, 'P5Y', 'unchanged');
    assert.equal(w.site.log.about('target', 'policy:mifid', 10).filter((e) => e.action === 'retention.policy.refused').length, 4);
    await savePolicy(store, log, 'user:admin', 'mifid', { ...MIFID, keep: 'P7Y' });
    assert.equal(row(ids.oldAdvice!).retention!.expiresAt, addDuration(row(ids.oldAdvice!).start, parseDuration('P7Y')), 'lengthening re-evaluates stored expiries');
  });

  it('plans exactly what is due, purges it by crypto-shredding, and leaves a tombstone, a report and a verifying log', async () => {
    const { store, log } = w.site;
    const plan = planPurge(store, Date.now());
    assert.deepEqual(plan.due.map((d) => d.id), [ids.oldSupport]);
    const p = cliPrincipal('cli:test');
    const before = await w.access.readAudio(p, ids.oldSupport!, 'recording.exported');
    assert.ok(before.audio.length > 0);

    const r = await runPurge({ store, log, dataDir: w.config.dataDir }, { by: 'system:retention', now: Date.now() });
    assert.equal(r.run.purged, 1);
    await assert.rejects(w.access.readAudio(p, ids.oldSupport!, 'recording.played'), (e: unknown) => isTresorError(e, 'E_NOT_FOUND'));
    assert.equal(store.keys.get(ids.oldSupport!), undefined, 'the data key is gone');
    const listed = await w.access.search(p, { number: '+4915120000001' });
    assert.deepEqual(listed.items, [], 'its number token is gone from the index');
    const why = whyStillHere(store, ids.oldSupport!, Date.now());
    assert.equal(why.state, 'purged');
    assert.equal((why as { purged: PurgedRow }).purged.policy, 'support');
    const kept = whyStillHere(store, ids.newSupport!, Date.now());
    assert.equal(kept.state, 'kept');
    assert.equal((kept as { policy: string }).policy, 'support');

    const csv = readFileSync(r.run.report!.csv, 'utf8');
    assert.ok(csv.includes(ids.oldSupport!) && !csv.includes('20000001'), 'report names the id, not the number');
    const entries = log.entries(0, log.size());
    const purged = entries.find((e) => e.action === 'recording.purged')!;
    assert.equal(purged.target, `recording:${ids.oldSupport}`);
    const done = entries.find((e) => e.action === 'purge.completed')!;
    assert.equal(done.detail.reportSha256, r.run.report!.sha256);
    assert.ok(log.latestCheckpoint()!.size > done.seq, 'a checkpoint covers the report hash');
    assert.deepEqual((await log.verifyAll()).problems, []);
    const f = await fsck(w.site, w.archive);
    assert.deepEqual(f.problems, []);
    // the next plan is empty: purging is idempotent
    assert.deepEqual(planPurge(store, Date.now()).due, []);
  });

  it('holds the purge when the clock jumped, until an admin confirms the time', async () => {
    const { store, log } = w.site;
    const future = Date.now() + 10 * 365 * DAY;
    assert.match(clockProblem(store, future, 48 * 3600_000)!, /after the last time it was trusted/);
    const r = await purgeWithGuards({ store, log, dataDir: w.config.dataDir }, { by: 'system:retention', now: future, maxJumpMs: 48 * 3600_000 });
    assert.equal(r.kind, 'held');
    assert.ok(row(ids.newSupport!), 'nothing purged early');
    assert.ok(clockHold(store));
    // still held at the right time too, until a person looks
    assert.equal((await purgeWithGuards({ store, log, dataDir: w.config.dataDir }, { by: 'x', now: Date.now(), maxJumpMs: 48 * 3600_000 })).kind, 'held');
    assert.equal((await confirmClock(store, log, 'user:admin', Date.now())).wasHeld, true);
    assert.equal((await purgeWithGuards({ store, log, dataDir: w.config.dataDir }, { by: 'x', now: Date.now(), maxJumpMs: 48 * 3600_000 })).kind, 'done');
    assert.deepEqual(log.entries(0, log.size()).filter((e) => e.action.startsWith('purge.held') || e.action === 'purge.clock.confirmed').map((e) => e.action), ['purge.held', 'purge.clock.confirmed']);
  });

  it('runs on its cron schedule and never twice at once', async () => {
    const { store, log } = w.site;
    // make one more call due: a policy change re-evaluates it
    // shortening needs a second person now (issue 9 #11): asked, approved, carried out
    const a = await requestPolicyChange(store, log, 'user:admin', { name: 'support', next: { ...SUPPORT, keep: 'P1D' }, reason: 'test', person: 'admin' });
    await decide(store, log, a.id, { by: 'user:dpo', person: 'dpo', roles: ['dpo'], approve: true });
    await runApproved(store, a.id, (row) => executePolicyChange(store, log, row, 'user:dpo'));
    assert.deepEqual(planPurge(store, Date.now()).due.map((d) => d.id), [ids.newSupport]);
    const s = createPurgeScheduler({ store, log, dataDir: w.config.dataDir }, { ...w.config.retention, schedule: '* * * * * *' }, () => {});
    try {
      const [a, b] = [s.runNow('user:admin'), s.runNow('user:admin')];
      assert.equal(a, b, 'a second "run now" joins the running purge');
      await a;
      const deadline = Date.now() + 5000;
      while (store.purgeRuns.count() < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(store.purgeRuns.count() >= 4, 'the schedule ran too');
    } finally {
      await s.stop();
    }
    assert.equal(row(ids.newSupport!), undefined);
    assert.ok(row(ids.oldAdvice!), 'the 7-year call stays');
    assert.ok(row(ids.noPolicy!), 'the call without a policy stays');
  });
});

describe('a purge killed with SIGKILL', () => {
  it('leaves every recording either whole or fully purged, and the next run finishes the job and the killed run\'s deletion report', async () => {
    const w = await webSite();
    const { store, log, keys } = w.site;
    await savePolicy(store, log, 'user:admin', 'short', { name: 'short', match: {}, keep: 'P1D', lock: false });
    const tplId = await w.ingestCall(freepbxName(10, 7), { seconds: 3 });
    const tpl = store.recordings.get(tplId) as RecordingRow;
    const wrapped = store.keys.get(tplId);
    // 6000 more due rows sharing the real call's (encrypted) audio: enough batches to kill mid-run
    const N = 6000;
    for (let i = 0; i < N; i += 1000) {
      await store.root.transaction(() => {
        for (let j = i; j < i + 1000; j++) {
          const start = tpl.start - j * 1000;
          const id = newId(start);
          putRecording(store, { ...tpl, id, start, sourceSha256: `${j}`.padStart(64, '0'), tokens: [{ kind: 'phone', token: keys.token('phone', `+49301${j}`) }], retention: { policy: 'short', expiresAt: start + DAY } });
          store.keys.put(id, wrapped);
        }
      });
    }
    const total = N + 1;
    const cfg = w.config;
    await w.close();

    const child = spawn(TRESOR, ['purge'], { env: envFor(cfg, configFile(cfg)), stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    await new Promise<void>((resolve) => {
      child.stderr!.on('data', (d) => {
        err += d;
        if (/purge: \d+\/\d+/.test(err) && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => resolve());
    });
    await new Promise((r) => child.once('exit', r).exitCode !== null && r(null));
    assert.equal(child.signalCode, 'SIGKILL', `killed mid-run (stderr: ${err.slice(-300)})`);

    const site = openSite(cfg);
    const goneIds: string[] = [];
    try {
      let whole = 0;
      let gone = 0;
      for (const { key, value } of site.store.byStart.getRange()) void key, void value;
      const rows = [...site.store.recordings.getRange()].map((e) => e.value as RecordingRow);
      for (const r of rows) {
        assert.ok(site.store.keys.get(r.id), `row ${r.id} has its key`);
        assert.ok(site.store.byStart.get([r.start, r.id]), `row ${r.id} is in the time index`);
        whole++;
      }
      for (const value of site.store.purged.all()) {
        const key = value.id;
        assert.equal(site.store.keys.get(key), undefined, 'a purged recording has no key');
        assert.equal(site.store.recordings.get(key), undefined);
        assert.equal(site.store.byStart.get([value.start, key]), undefined);
        goneIds.push(key);
        gone++;
      }
      assert.equal(whole + gone, total, 'every recording is accounted for');
      assert.ok(gone > 0 && whole > 0, `killed in the middle (${gone} purged, ${whole} left)`);
      assert.equal(site.log.entries(0, site.log.size()).filter((e) => e.action === 'recording.purged').length, gone, 'one log entry per purged recording, no more, no less');
      assert.deepEqual((await site.log.verifyAll()).problems, []);
    } finally {
      await site.close();
    }
    const again = spawn(TRESOR, ['purge'], { env: envFor(cfg, configFile(cfg)), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    again.stdout!.on('data', (d) => (out += d));
    const code = await new Promise((r) => again.once('exit', r));
    assert.equal(code, 0, out);
    const site2 = openSite(cfg);
    try {
      assert.equal(site2.store.recordings.getCount(), 0);
      assert.equal(site2.store.purged.count(), total);
      const runs = site2.store.purgeRuns.all();
      assert.deepEqual(runs.map((r) => r.state).sort(), ['done', 'interrupted']);
      // the killed run's deletion report is finished on resume: exactly what it purged, logged and signed
      const killed = runs.find((r) => r.state === 'interrupted')!;
      assert.ok(killed.report, 'the interrupted run has a deletion report');
      assert.equal(killed.purged, goneIds.length);
      const csvIds = readFileSync(killed.report.csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
      assert.deepEqual(csvIds.sort(), goneIds.sort(), 'the report lists exactly the recordings the killed run purged');
      const entry = site2.log.about('target', `purge:${killed.id}`, 10).find((e) => e.detail.reportSha256 === killed.report!.sha256);
      assert.ok(entry, 'its report hash is in the log');
      assert.equal(entry.detail.purged, goneIds.length);
      assert.ok(site2.log.latestCheckpoint()!.size > entry.seq, 'covered by a signed checkpoint');
      assert.ok(existsSync(site2.config.dataDir));
    } finally {
      await site2.close();
    }
  });
});

void evaluate;
void dropRecording;

describe('a purge racing a play and a hold', () => {
  it('lets a play that began finish, refuses one that starts after, and never purges a call held meanwhile', async () => {
    const { addHold } = await import('../src/retention/holds.ts');
    const { shred } = await import('../src/retention/purge.ts');
    const w = await webSite();
    try {
      const { store, log } = w.site;
      await savePolicy(store, log, 'user:admin', 'short', { name: 'short', match: {}, keep: 'P1D', lock: false });
      const a = await w.ingestCall(freepbxName(10, 8), { seconds: 60, source: 'noise' });
      const b = await w.ingestCall(freepbxName(10, 9), { seconds: 3 });
      const p = cliPrincipal('cli:test');
      const whole = (await w.access.readAudio(p, a, 'recording.exported')).audio;
      // a player's request is under way: logged, key unwrapped, bytes still streaming
      const playing = await w.access.streamAudio(p, a, 'recording.played', () => null);
      const first = playing.chunks.next().value as Buffer;
      // meanwhile the purge plans both, and a DPO puts b on hold before the purge reaches it
      const plan = planPurge(store, Date.now());
      assert.deepEqual(plan.due.map((d) => d.id).sort(), [a, b].sort());
      await addHold(store, log, 'user:dpo', { caseName: 'Case 1', reason: 'court order', ids: [b] });
      const r = await shred({ store, log, dataDir: w.config.dataDir }, plan.due.map((d) => d.id), { by: 'system:retention', now: Date.now(), reason: 'policy', run: null });
      assert.deepEqual(r.purged.map((x) => x.id), [a], 'the hold placed after planning still wins');
      assert.match(r.skipped.find((s) => s.id === b)!.why, /legal hold/);
      // the play that began before the purge completes with the right bytes …
      const rest = [...playing.chunks];
      assert.ok(Buffer.concat([first, ...rest]).equals(whole));
      // … and a play that starts after it is refused, saying why
      await assert.rejects(w.access.readAudio(p, a, 'recording.played'), /purged on .* under retention policy "short"/);
      assert.ok(store.recordings.get(b), 'held call still there');
      assert.deepEqual((await log.verifyAll()).problems, []);
    } finally {
      await w.close();
    }
  });
});
