import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openSite, type Site } from '../src/site/open.ts';
import { isTresorError } from '../src/core/errors.ts';
import { APPROVAL_TTL_MS, approvedNotDone, decide, expireApprovals, getApproval, pendingApprovals, requestApproval, runApproved } from '../src/approvals/index.ts';
import { testConfig } from './helpers/site.ts';

const refusal = (reason: string, code?: string) => (e: unknown) =>
  isTresorError(e) && e.detail.reason === reason && (code === undefined || e.code === code);

describe('four-eyes approvals', () => {
  let site: Site;
  before(() => {
    site = openSite(testConfig(), { create: true });
  });
  after(async () => {
    await site.close();
  });
  const entries = () => site.log.entries(0, site.log.size());
  const ask = (target: string, extra: Partial<Parameters<typeof requestApproval>[2]> = {}) =>
    requestApproval(site.store, site.log, { kind: 'hold.release', target, by: 'user:ada', person: 'ada', reason: 'customer +49 30 1234 asked', payload: { x: 1 }, ...extra });

  test('request → pending, logged against the target without the free text', async () => {
    const a = await ask('recording:A');
    assert.equal(a.state, 'pending');
    assert.equal(a.expiresAt - a.requestedAt, APPROVAL_TTL_MS);
    assert.deepEqual(getApproval(site.store, a.id), a);
    assert.ok(pendingApprovals(site.store).some((r) => r.id === a.id));
    const e = entries().at(-1)!;
    assert.equal(e.action, 'approval.requested');
    assert.equal(e.actor, 'user:ada');
    assert.equal(e.target, 'recording:A');
    assert.equal(e.detail.approval, a.id);
    assert.ok(!JSON.stringify(e).includes('1234'), 'no reason text (personal data) in the log');
    await assert.rejects(ask('recording:A'), refusal('already-requested', 'E_CONFLICT'));
    await assert.rejects(ask('recording:A2', { reason: ' ' }), refusal('no-reason', 'E_INVALID'));
    await assert.rejects(ask('recording:A3', { kind: 'Bad Kind' }), /dotted/);
  });

  test('the requester cannot decide, not even through a token of their own; deciders need approvals.decide', async () => {
    const a = await ask('recording:B');
    await assert.rejects(decide(site.store, site.log, a.id, { by: 'user:ada', person: 'ada', roles: ['admin'], approve: true }), refusal('own-request', 'E_FOUR_EYES'));
    await assert.rejects(decide(site.store, site.log, a.id, { by: 'token:T1', person: 'ada', roles: ['admin'], approve: true }), refusal('own-request'));
    await assert.rejects(decide(site.store, site.log, a.id, { by: 'user:sue', person: 'sue', roles: ['supervisor', 'auditor'], approve: true }), refusal('no-permission', 'E_FORBIDDEN'));
    assert.equal(getApproval(site.store, a.id)!.state, 'pending');
    const refused = entries().filter((e) => e.action === 'approval.refused' && e.detail.approval === a.id);
    assert.deepEqual(refused.map((e) => [e.actor, e.detail.why]), [['user:ada', 'own-request'], ['token:T1', 'own-request'], ['user:sue', 'no-permission']]);
    await assert.rejects(decide(site.store, site.log, 'NOPE', { by: 'user:dora', roles: ['dpo'], approve: true }), (e: unknown) => isTresorError(e, 'E_NOT_FOUND'));
  });

  test('reject, then no second decision', async () => {
    const a = await ask('recording:C');
    const r = await decide(site.store, site.log, a.id, { by: 'user:dora', person: 'dora', roles: ['dpo'], approve: false, note: 'not without the ticket' });
    assert.equal(r.state, 'rejected');
    assert.equal(r.decidedBy, 'user:dora');
    assert.equal(r.note, 'not without the ticket');
    assert.equal(entries().at(-1)!.action, 'approval.rejected');
    await assert.rejects(decide(site.store, site.log, a.id, { by: 'user:bob', person: 'bob', roles: ['admin'], approve: true }), refusal('decided', 'E_ALREADY_DECIDED'));
    await assert.rejects(runApproved(site.store, a.id, async () => ({})), /rejected, not approved/);
  });

  test('expired requests cannot be approved; the sweep expires and logs them', async () => {
    const old = Date.now() - APPROVAL_TTL_MS - 1000;
    const a = await ask('recording:D', { now: old });
    assert.ok(!pendingApprovals(site.store).some((r) => r.id === a.id));
    await assert.rejects(decide(site.store, site.log, a.id, { by: 'user:dora', person: 'dora', roles: ['dpo'], approve: true }), refusal('expired', 'E_EXPIRED'));
    assert.equal(getApproval(site.store, a.id)!.state, 'expired');
    assert.equal(entries().at(-1)!.action, 'approval.expired');
    const b = await ask('recording:E', { now: old });
    assert.equal(await expireApprovals(site.store, site.log), 1);
    assert.equal(getApproval(site.store, b.id)!.state, 'expired');
    // once expired, a new request for the same thing is possible
    await ask('recording:E');
  });

  test('an approved action runs exactly once, even when started twice at the same time', async () => {
    const a = await ask('recording:F');
    const row = await decide(site.store, site.log, a.id, { by: 'user:dora', person: 'dora', roles: ['dpo'], approve: true });
    assert.equal(row.state, 'approved');
    assert.equal(entries().at(-1)!.action, 'approval.approved');
    let runs = 0;
    const action = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 50));
      return { done: true };
    };
    const results = await Promise.allSettled([runApproved(site.store, a.id, action), runApproved(site.store, a.id, action)]);
    assert.equal(runs, 1);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const done = getApproval(site.store, a.id)!;
    assert.equal(done.state, 'done');
    assert.deepEqual(done.result, { done: true });
    assert.ok(done.executedAt);
    await assert.rejects(runApproved(site.store, a.id, action), /carried out already/);
    assert.equal(runs, 1);
  });

  test('a failed action stays approved (listed) and can be run again', async () => {
    const a = await ask('recording:G');
    await decide(site.store, site.log, a.id, { by: 'user:bob', person: 'bob', roles: ['admin'], approve: true });
    await assert.rejects(runApproved(site.store, a.id, async () => {
      throw new Error('disk gone');
    }), /disk gone/);
    const row = getApproval(site.store, a.id)!;
    assert.equal(row.state, 'approved');
    assert.equal(row.running, undefined);
    assert.deepEqual(row.result, { error: 'E_INTERNAL' });
    assert.ok(approvedNotDone(site.store).some((r) => r.id === a.id));
    const { row: done } = await runApproved(site.store, a.id, async () => ({ ok: 1 }));
    assert.equal(done.state, 'done');
  });
});
