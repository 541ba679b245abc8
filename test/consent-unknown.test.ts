// The unknown-consent decision (issue 12, item 4): after consent.unknownDays the policy
// erases (crypto-shred, tombstone reason consent-unknown) or restricts each call still
// without proven consent; legal holds win over erasure; consent proven meanwhile (a CRM
// event) takes a call off the list; the decision runs behind the purge's clock guard.
// Real ingest (ffmpeg, LMDB, archive); the clock is the decision's `now`, confirmed the
// way an admin confirms it, and for the CLI the real wall clock under libfaketime.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingestSite, source, sidecarOf, type IngestSite } from './helpers/ingest.ts';
import { makeAudio } from './helpers/audio.ts';
import { decideOptions, decideUnknown, receiveEvent } from '../src/consent/index.ts';
import { confirmClock } from '../src/retention/clock-guard.ts';
import { addHold, releaseHold, requestHoldRelease } from '../src/retention/holds.ts';
import { decide } from '../src/approvals/index.ts';
import { createAccess } from '../src/access/index.ts';
import { tresor } from './helpers/run.ts';
import { testConfig } from './helpers/site.ts';
import { fakeClockEnv, NO_FAKETIME } from './helpers/faketime.ts';
import { openSite } from '../src/site/open.ts';
import type { Config } from '../src/config/index.ts';

const DAY = 86_400_000;

async function archived(s: IngestSite, name: string, seed: number, sidecar?: Record<string, unknown>): Promise<string> {
  const f = await makeAudio(s.work(), name, { format: 'wav-pcm8k', seconds: 1, source: 'noise', seed });
  if (sidecar) writeFileSync(sidecarOf(f), JSON.stringify(sidecar));
  const o = await s.ingest.ingestFile(source(f, sidecar ? sidecarOf(f) : null));
  assert.equal(o.status, 'archived', JSON.stringify(o));
  return (o as { id: string }).id;
}

const entries = (s: IngestSite) => s.site.log.entries(0, s.site.log.size());

describe('unknown consent: erase after consent.unknownDays', () => {
  let s: IngestSite;
  const id: Record<string, string> = {};
  before(async () => {
    s = await ingestSite((c) => {
      c.consent.policy = 'restrict';
      c.consent.unknownAction = 'erase';
      c.consent.unknownDays = 30;
    });
    id.plain = await archived(s, 'plain', 11);
    id.held = await archived(s, 'held', 12);
    id.granted = await archived(s, 'granted', 13, { consent: 'yes' });
    id.later = await archived(s, 'later', 14, { callId: 'crm-4711' });
    id.hold = (await addHold(s.site.store, s.site.log, 'user:dora', { ids: [id.held!], caseName: 'LG Berlin 12 O 34/26', reason: 'pending lawsuit' })).id;
  });
  after(() => s?.close());

  const opts = (now: number, dryRun = false) => decideOptions(s.config, 'system:retention', now, dryRun);
  const deps = () => ({ store: s.site.store, log: s.site.log, dataDir: s.config.dataDir });

  it('before the days are over nothing is decided', async () => {
    const r = await decideUnknown(deps(), opts(Date.now()));
    assert.equal(r.kind, 'done');
    assert.deepEqual(r.kind === 'done' && [r.erased, r.restricted, r.held], [[], [], []]);
    assert.equal(s.site.store.recordings.count(), 4);
  });

  it('a clock a month ahead that nobody confirmed holds the decision (the purge guard)', async () => {
    const r = await decideUnknown(deps(), opts(Date.now() + 31 * DAY));
    assert.equal(r.kind, 'held');
    assert.equal(s.site.store.recordings.count(), 4);
    // confirmed by an admin (as `tresor purge --confirm-clock` does) the month is real
    await confirmClock(s.site.store, s.site.log, 'cli:admin', Date.now() + 31 * DAY);
  });

  it('a CRM event proving consent takes a call off the list; the dry run shows what would go and what the hold keeps', async () => {
    const keys = s.site.keys;
    const ev = await receiveEvent({ store: s.site.store, log: s.site.log, keys, pendingHours: 72 }, 'token:crm', { callId: 'crm-4711', state: 'granted', method: 'crm', source: 'crm' });
    assert.deepEqual(ev, { status: 'applied', recordings: [id.later] });
    const size = s.site.log.size();
    const r = await decideUnknown(deps(), opts(Date.now() + 31 * DAY, true));
    assert.equal(r.kind, 'dry-run');
    if (r.kind !== 'dry-run') return;
    assert.deepEqual(r.plan.due.map((c) => c.id), [id.plain]);
    assert.deepEqual(r.plan.held.map((c) => [c.id, c.hold.length > 0]), [[id.held, true]]);
    assert.equal(s.site.log.size(), size, 'a dry run logs nothing');
    assert.equal(s.site.store.recordings.count(), 4);
  });

  it('erases the due call through the purge (decided, then recording.purged consent-unknown); the held call is skipped and logged once', async () => {
    const now = Date.now() + 31 * DAY;
    const r = await decideUnknown(deps(), opts(now));
    assert.equal(r.kind, 'done');
    if (r.kind !== 'done') return;
    assert.deepEqual(r.erased, [id.plain]);
    assert.deepEqual(r.held.map((h) => h.id), [id.held]);
    const store = s.site.store;
    assert.equal(store.recordings.get(id.plain!), undefined);
    assert.equal(store.keys.has(id.plain!), false, 'the data key is gone: crypto-shredded');
    assert.equal(store.purged.get(id.plain!)!.reason, 'consent-unknown');
    assert.ok(store.recordings.get(id.held!), 'a legal hold wins');
    assert.ok(store.recordings.get(id.granted!) && store.recordings.get(id.later!));
    const story = entries(s).filter((e) => e.target === `recording:${id.plain}`).map((e) => [e.action, e.detail.action ?? e.detail.reason]);
    assert.deepEqual(story.slice(-2), [['consent.unknown.decided', 'erase'], ['recording.purged', 'consent-unknown']]);
    const skipped = entries(s).filter((e) => e.action === 'consent.unknown.skipped');
    assert.deepEqual(skipped.map((e) => [e.target, e.detail.why]), [[`recording:${id.held}`, 'legal-hold']]);
    // the access door says why the call is gone
    const access = createAccess({ store, keys: s.site.keys, archive: s.archive, log: s.site.log });
    await assert.rejects(access.view({ kind: 'user', name: 'dora', actor: 'user:dora', roles: ['dpo'] }, id.plain!), /consent stayed unknown/);
    // the next night: the held call is still held, and the skip is not logged again
    const again = await decideUnknown(deps(), opts(now + DAY));
    assert.equal(again.kind === 'done' && again.held.length, 1);
    assert.equal(entries(s).filter((e) => e.action === 'consent.unknown.skipped').length, 1);
    assert.deepEqual((await s.site.log.verifyAll()).problems, []);
  });

  it('once the hold is released (four eyes) the next decision erases the call', async () => {
    const { store, log } = s.site;
    const a = await requestHoldRelease(store, log, 'user:dora', id.hold!, { reason: 'case settled', person: 'dora' });
    const approved = await decide(store, log, a.id, { by: 'user:ada', person: 'ada', roles: ['dpo', 'admin'], approve: true });
    await releaseHold(store, log, id.hold!, { by: 'user:ada', approval: approved });
    const r = await decideUnknown(deps(), opts(Date.now() + 32 * DAY));
    assert.deepEqual(r.kind === 'done' && r.erased, [id.held]);
    assert.equal(store.purged.get(id.held!)!.reason, 'consent-unknown');
  });
});

describe('unknown consent: restrict after consent.unknownDays', () => {
  let s: IngestSite;
  before(async () => {
    s = await ingestSite((c) => {
      c.consent.policy = 'discard';
      c.consent.unknownAction = 'restrict';
      c.consent.unknownDays = 10;
    });
  });
  after(() => s?.close());

  it('marks the call restricted:consent-unknown (review mark gone), logs decided + recording.restricted, and the door refuses playback', async () => {
    const idA = await archived(s, 'a', 21);
    const now = Date.now() + 11 * DAY;
    await confirmClock(s.site.store, s.site.log, 'cli:admin', now);
    const r = await decideUnknown({ store: s.site.store, log: s.site.log, dataDir: s.config.dataDir }, decideOptions(s.config, 'cli:admin', now));
    assert.deepEqual(r.kind === 'done' && r.restricted, [idA]);
    assert.deepEqual(s.site.store.recordings.get(idA)!.marks, ['restricted:consent-unknown']);
    const story = entries(s).filter((e) => e.target === `recording:${idA}`).slice(-2).map((e) => [e.action, e.detail.action ?? e.detail.reason]);
    assert.deepEqual(story, [['consent.unknown.decided', 'restrict'], ['recording.restricted', 'consent-unknown']]);
    const access = createAccess({ store: s.site.store, keys: s.site.keys, archive: s.archive, log: s.site.log });
    await assert.rejects(access.readAudio({ kind: 'user', name: 'sue', actor: 'user:sue', roles: ['supervisor'] }, idA, 'recording.played'),
      (e: Error & { detail?: { barriers?: string[] } }) => e.detail?.barriers?.includes('consent-unknown') === true);
    // decided once: a second run leaves it alone
    const again = await decideUnknown({ store: s.site.store, log: s.site.log, dataDir: s.config.dataDir }, decideOptions(s.config, 'cli:admin', now + DAY));
    assert.deepEqual(again.kind === 'done' && again.restricted, []);
  });
});

describe('tresor consent decide under a wall clock 31 days ahead', { skip: NO_FAKETIME }, () => {
  it('held by the clock guard until confirmed; then --dry-run lists, and the real run erases', { timeout: 240_000 }, async () => {
    const c: Config = testConfig();
    c.consent.policy = 'restrict';
    c.consent.unknownAction = 'erase';
    c.consent.unknownDays = 30;
    const staging = join(c.dataDir, '..', 'staging');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(staging, { recursive: true });
    const f = await makeAudio(staging, 'call-1', { format: 'wav-pcm8k', seconds: 1, source: 'noise', seed: 31 });
    assert.equal((await tresor(c, ['init'])).code, 0);
    const ing = await tresor(c, ['ingest', f]);
    assert.equal(ing.code, 0, ing.stdout + ing.stderr);

    const ahead = fakeClockEnv(join(c.dataDir, '..', 'faketime'), '+31d');
    const held = await tresor(c, ['consent', 'decide'], ahead);
    assert.equal(held.code, 1, held.stdout + held.stderr);
    assert.match(held.stdout, /DECISION HELD/);
    assert.equal((await tresor(c, ['purge', '--confirm-clock'], ahead)).code, 0);
    const dry = await tresor(c, ['consent', 'decide', '--dry-run', '--json'], ahead);
    assert.equal(dry.code, 0, dry.stderr);
    const plan = (JSON.parse(dry.stdout) as { plan: { due: { id: string }[] } }).plan;
    assert.equal(plan.due.length, 1);
    const run = await tresor(c, ['consent', 'decide'], ahead);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /1 erased/);
    const site = openSite(c);
    try {
      assert.equal(site.store.recordings.count(), 0);
      assert.equal(site.store.purged.get(plan.due[0]!.id)!.reason, 'consent-unknown');
      const acts = site.log.entries(0, site.log.size()).map((e) => e.action);
      assert.ok(acts.indexOf('consent.unknown.decided') < acts.indexOf('recording.purged') && acts.includes('consent.unknown.decided'));
      assert.deepEqual((await site.log.verifyAll()).problems, []);
    } finally {
      await site.close();
    }
  });
});
