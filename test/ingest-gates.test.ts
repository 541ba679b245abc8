import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeAudio } from './helpers/audio.ts';
import { ingestSite, source } from './helpers/ingest.ts';
import { fsck } from '../src/site/fsck.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import {
  addDuration, combine, gate, parseDuration, retentionExpiry, type CallFacts, type GateDecision, type IngestGate, type Policy,
} from '../src/policy/index.ts';

// Gates decided at ingest (issue 10 item 5, src/policy/gates.ts): each rule pure and tested
// alone; the pipeline asks every gate before the commit's first write.

const call = (over: Partial<CallFacts> = {}): CallFacts => ({
  start: Date.UTC(2026, 0, 10, 12), durationMs: 60_000, direction: 'in', queue: 'sales', purpose: null, tags: [], consentState: 'granted', ...over,
});
const policy = (name: string, keep: string, match: Policy['match'] = {}): Policy => ({ name, keep, match, lock: false });

test('gate_retention_expiry_is_the_longest_matching_keep_and_none_while_the_clock_is_suspect', () => {
  const c = call();
  const policies = [policy('all', 'P90D'), policy('sales', 'P1Y', { queue: ['sales'] }), policy('support', 'P5Y', { queue: ['support'] })];
  assert.deepEqual(retentionExpiry(c, { policies, clockProblem: null }), {
    kind: 'retain', retention: { policy: 'sales', expiresAt: addDuration(c.start, parseDuration('P1Y')) },
  });
  assert.deepEqual(retentionExpiry(c, { policies: [], clockProblem: null }), { kind: 'retain', retention: { policy: null, expiresAt: null } },
    'no rule, no expiry');
  assert.deepEqual(retentionExpiry(c, { policies, clockProblem: 'the clock jumped' }), {
    kind: 'retain', retention: { policy: null, expiresAt: null, awaitingClock: true },
  });
});

test('gate_combine_takes_the_first_refusal_every_mark_once_and_the_longest_retention', () => {
  const d = (gate: string, decision: GateDecision) => ({ gate, decision });
  const at = (expiresAt: number | null) => ({ kind: 'retain', retention: { policy: expiresAt === null ? null : `p${expiresAt}`, expiresAt } }) as const;
  assert.deepEqual(combine([]), { refused: null, retention: { policy: null, expiresAt: null }, marks: [] });
  assert.deepEqual(combine([d('a', at(5)), d('b', at(9)), d('c', at(7))]).retention, { policy: 'p9', expiresAt: 9 });
  assert.deepEqual(combine([d('a', at(5)), d('b', at(null))]).retention, { policy: null, expiresAt: null }, 'no expiry keeps longer than a date');
  assert.deepEqual(combine([d('a', at(null)), d('b', { kind: 'retain', retention: { policy: null, expiresAt: null, awaitingClock: true } })]).retention,
    { policy: null, expiresAt: null, awaitingClock: true });
  const v = combine([
    d('a', { kind: 'mark', mark: 'review' }), d('b', { kind: 'refuse', code: 'E_FORBIDDEN', reason: 'objected' }),
    d('c', { kind: 'refuse', code: 'E_INVALID', reason: 'second' }), d('d', { kind: 'mark', mark: 'consent' }),
    d('e', { kind: 'mark', mark: 'review' }), d('f', { kind: 'pass' }),
  ]);
  assert.deepEqual(v.refused, { gate: 'b', code: 'E_FORBIDDEN', reason: 'objected' });
  assert.deepEqual(v.marks, ['consent', 'review']);
});

test('gate_built_from_parts_reads_then_decides_and_records_only_when_asked', () => {
  const seen: string[] = [];
  const g = gate('count', {
    read: (now) => (seen.push(`read ${now}`), { n: 2 }),
    rule: (c, view, now) => (seen.push(`rule ${view.n} ${now}`), c.durationMs > 1000 ? { kind: 'mark', mark: 'long' } : { kind: 'pass' }),
    record: (decision, view, now) => void seen.push(`record ${decision.kind} ${view.n} ${now}`),
  });
  const o = g.decide(call(), 7);
  assert.deepEqual(o.decision, { kind: 'mark', mark: 'long' });
  assert.deepEqual(seen, ['read 7', 'rule 2 7']);
  o.record!();
  assert.deepEqual(seen, ['read 7', 'rule 2 7', 'record mark 2 7']);
  assert.equal(gate('plain', { read: () => null, rule: () => ({ kind: 'pass' }) }).decide(call(), 0).record, undefined);
});

/** A gate that says what it was asked, for the order the pipeline asks in. */
function spy(name: string, events: string[], decision: GateDecision): IngestGate {
  return gate(name, {
    read: () => events.push(`${name}.decide`),
    rule: () => decision,
    record: () => void events.push(`${name}.record`),
  });
}

test('ingest_asks_every_gate_before_the_first_write_and_a_refusal_commits_nothing', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'keep'));
  try {
    const events: string[] = [];
    const ingest = createIngest({
      config: s.config, store: s.site.store, keys: s.site.keys, archive: s.archive, log: s.site.log, media: s.media,
      gates: [spy('first', events, { kind: 'mark', mark: 'review' }), spy('objection', events, { kind: 'refuse', code: 'E_FORBIDDEN', reason: 'the caller objected to recording' })],
    });
    const path = await makeAudio(s.work(), 'objected.wav', { format: 'wav-pcm8k', seconds: 1 });
    const logBefore = s.site.log.size();
    const o = await ingest.ingestFile(source(path));
    assert.equal(o.status, 'quarantined', JSON.stringify(o));
    assert.equal((o as { code: string }).code, 'E_FORBIDDEN');
    assert.match((o as { message: string }).message, /objected/);
    assert.deepEqual(events, ['first.decide', 'objection.decide'], 'both decided; the first gate recorded nothing');
    assert.equal(s.site.store.recordings.getCount(), 0);
    const actions = s.site.log.entries(logBefore, s.site.log.size()).map((e) => e.action);
    assert.ok(!actions.includes('recording.ingested'), actions.join(', '));
    assert.deepEqual((await fsck(s.site, s.archive)).problems, [], 'no stray bytes in the segment, no half a row');
  } finally {
    await s.close();
  }
});

test('ingest_runs_the_gates_in_order_then_their_records_and_keeps_the_marks', async () => {
  const s = await ingestSite((c) => {
    c.ingest.disposition = 'keep';
  });
  try {
    const events: string[] = [];
    const ingest = createIngest({
      config: s.config, store: s.site.store, keys: s.site.keys, archive: s.archive, log: s.site.log, media: s.media,
      gates: [...ingestGates(s.config, s.site), spy('a', events, { kind: 'mark', mark: 'review' }), spy('b', events, { kind: 'mark', mark: 'consent-missing' })],
    });
    const path = await makeAudio(s.work(), 'marked.wav', { format: 'wav-pcm8k', seconds: 1 });
    const o = await ingest.ingestFile(source(path));
    assert.equal(o.status, 'archived', JSON.stringify(o));
    assert.deepEqual(events, ['a.decide', 'b.decide', 'a.record', 'b.record']);
    const row = s.site.store.recordings.get((o as { id: string }).id)!;
    assert.deepEqual(row.marks, ['consent-missing', 'review']);
    assert.deepEqual(row.retention, { policy: null, expiresAt: null }, 'the retention gate decided: no policy, no expiry');
    const entry = s.site.log.entries(0, s.site.log.size()).find((e) => e.action === 'recording.ingested')!;
    assert.deepEqual(entry.detail.marks, ['consent-missing', 'review']);
  } finally {
    await s.close();
  }
});

test('ingest_with_a_gate_that_throws_commits_nothing', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'keep'));
  try {
    const broken: IngestGate = { name: 'broken', decide: () => { throw new RangeError('a defect in a gate'); } };
    const ingest = createIngest({
      config: s.config, store: s.site.store, keys: s.site.keys, archive: s.archive, log: s.site.log, media: s.media,
      gates: [...ingestGates(s.config, s.site), broken],
    });
    const path = await makeAudio(s.work(), 'broken.wav', { format: 'wav-pcm8k', seconds: 1 });
    const o = await ingest.ingestFile(source(path));
    assert.notEqual(o.status, 'archived', JSON.stringify(o));
    assert.equal(s.site.store.recordings.getCount(), 0);
    assert.deepEqual((await fsck(s.site, s.archive)).problems, []);
  } finally {
    await s.close();
  }
});
