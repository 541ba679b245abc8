import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openSite, type Site } from '../src/site/open.ts';
import { isTresorError } from '../src/core/errors.ts';
import { ApprovalRegistry, decide, getApproval, requestApproval } from '../src/approvals/index.ts';
import type { ApprovalRow } from '../src/store/index.ts';
import { approvalRegistry } from '../src/site/approvals.ts';
import { testConfig } from './helpers/site.ts';

// The executor registry of src/approvals/ (issue 10 item 2): owners register what each
// kind does; the registry refuses what nobody registered, keeps the four-eyes rule in
// front of every executor, and runs an approved request's executor exactly once.
describe('approval executor registry', () => {
  let site: Site;
  before(() => {
    site = openSite(testConfig(), { create: true });
  });
  after(async () => {
    await site.close();
  });
  const dan = { by: 'user:dan', person: 'dan', roles: ['dpo'] as const };
  const ask = (kind: string, target: string) =>
    requestApproval(site.store, site.log, { kind, target, by: 'user:ada', person: 'ada', reason: 'a test' });
  const approve = (a: ApprovalRow, who: { by: string; person: string; roles: readonly ('dpo' | 'admin')[] } = dan) =>
    decide(site.store, site.log, a.id, { by: who.by, person: who.person, roles: [...who.roles], approve: true });

  test('registry_unregistered_kind_is_a_clear_error_and_leaves_the_request_approved', async () => {
    const registry = new ApprovalRegistry();
    const a = await approve(await ask('nobody.knows', 'thing:1'));
    await assert.rejects(registry.execute(site.store, a, dan.by),
      (e: unknown) => isTresorError(e, 'E_INTERNAL') && e.detail.reason === 'no-executor' && /cannot carry out "nobody\.knows"/.test(e.message));
    assert.equal(getApproval(site.store, a.id)!.state, 'approved', 'nothing claimed: a version that knows the kind can still run it');
    assert.equal(getApproval(site.store, a.id)!.running, undefined);
    // and the description falls back to kind and target
    assert.deepEqual(registry.describe(a, { roles: ['dpo'] }), { summary: 'nobody.knows thing:1', facts: [{ label: 'target', value: 'thing:1' }] });
  });

  test('registry_a_kind_is_registered_once', () => {
    const registry = new ApprovalRegistry().register('x.y', { execute: async () => ({}) });
    assert.throws(() => registry.register('x.y', { execute: async () => ({}) }), /registered twice/);
    assert.deepEqual(registry.kinds(), ['x.y']);
  });

  test('registry_the_requester_cannot_approve_their_own_request_so_nothing_runs', async () => {
    let runs = 0;
    const registry = new ApprovalRegistry().register('test.own', { execute: async () => ({ n: ++runs }) });
    const a = await ask('test.own', 'thing:2');
    await assert.rejects(approve(a, { by: 'user:ada', person: 'ada', roles: ['admin'] }), (e: unknown) => isTresorError(e, 'E_FOUR_EYES') && e.detail.reason === 'own-request');
    await assert.rejects(registry.execute(site.store, getApproval(site.store, a.id)!, 'user:ada'), (e: unknown) => isTresorError(e, 'E_CONFLICT') && e.detail.reason === 'pending');
    assert.equal(runs, 0);
  });

  test('registry_execute_runs_the_registered_executor_once', async () => {
    const calls: { id: string; actor: string }[] = [];
    const registry = new ApprovalRegistry().register('test.once', {
      describe: (row) => ({ summary: `do ${row.target}`, facts: [] }),
      execute: async (row, actor) => {
        calls.push({ id: row.id, actor });
        return { outcome: 'done', summary: 'did it' };
      },
    });
    const a = await approve(await ask('test.once', 'thing:3'));
    assert.equal(registry.describe(a, { roles: ['dpo'] }).summary, 'do thing:3');
    const { row, result } = await registry.execute(site.store, a, dan.by);
    assert.deepEqual(calls, [{ id: a.id, actor: 'user:dan' }]);
    assert.equal(row.state, 'done');
    assert.deepEqual(result, { outcome: 'done', summary: 'did it' });
    await assert.rejects(registry.execute(site.store, getApproval(site.store, a.id)!, dan.by), (e: unknown) => isTresorError(e, 'E_CONFLICT') && e.detail.reason === 'done');
    assert.equal(calls.length, 1, 'a second click runs nothing');
  });

  test('registry_the_wiring_registers_every_kind_owners_have_today', () => {
    assert.deepEqual(approvalRegistry(site, { dataDir: '/nowhere' }).kinds().sort(),
      ['bundle.export', 'hold.release', 'policy.change', 'quarantine.discard', 'recording.delete', 'request.erasure', 'user.roles.grant', 'works-council.unlock'].sort());
  });
});
