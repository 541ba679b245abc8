import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { tresor } from './helpers/run.ts';
import { listPolicies, savePolicy } from '../src/retention/policies.ts';
import { applyGraceElapsed, syncConfigPolicies } from '../src/retention/policy-change.ts';
import { decide, getApproval, pendingApprovals } from '../src/approvals/index.ts';
import { isTresorError } from '../src/core/errors.ts';
import type { RecordingRow } from '../src/store/index.ts';

// Issue 9 #11: one admin shortened an unlocked policy from 90 to 6 days and pressed "Run
// purge now": 124 calls gone, no count shown, no second person. A change that brings
// deletion forward now shows its dry run and takes effect only once a second person
// approves it, or after a grace period the request states (console, CLI, config file).

const DAY = 86_400_000;
/**
 * A FreePBX name of a call `daysAgo` days back at 10:15, or — with `sinceNowMs` — at that
 * offset from now (a call "one day minus two hours ago" is not yet due under a one-day
 * keep at any time of day; a fixed 10:15 made one test fail every day after 10:15).
 */
function freepbxName(daysAgo: number, n: number, sinceNowMs?: number): string {
  const d = new Date(Date.now() - daysAgo * DAY + (sinceNowMs ?? 0));
  const p = (x: number) => String(x).padStart(2, '0');
  const time = sinceNowMs === undefined ? '101500' : `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
  return `in-4930123456-0151${60000000 + n}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${time}-17643500${p(n)}.${n}.wav`;
}
const SUPPORT = { name: 'support', match: { queue: ['support'] }, keep: 'P90D', lock: false };
const idsIn = (html: string, table: string) => {
  const m = new RegExp(`<table id="${table}"[\\s\\S]*?</table>`).exec(html);
  return m ? [...m[0].matchAll(/data-id="([0-9A-Z]{26})"/g)].map((x) => x[1]!).sort() : [];
};

describe('a policy change that makes calls due earlier needs a second person', () => {
  let w: WebSite;
  const calls: string[] = [];
  before(async () => {
    w = await webSite();
    await makeUser(w, 'ada', ['admin']);
    await makeUser(w, 'dan', ['dpo']);
    await savePolicy(w.site.store, w.site.log, 'user:ada', 'support', SUPPORT);
    for (const [i, days] of [10, 20, 30].entries()) calls.push(await w.ingestCall(freepbxName(days, i), { seconds: 2, source: 'noise' }, { queue: 'support' }));
    calls.sort();
  });
  after(() => w?.close());
  const keepOf = () => listPolicies(w.site.store).find((p) => p.name === 'support')!.keep;

  it('policy_shortened_90_to_6_days_shows_the_dry_run_and_purges_nothing_until_a_second_person_approves', async () => {
    const { store, log } = w.site;
    const ada = browser(w);
    assert.equal((await ada.login('ada')).status, 303);
    const form = { name: 'support', keep: 'P6D', queue: 'support', direction: '', purpose: '', tags: '', consent: '' };
    let r = await ada.post('/retention/policies', form);
    assert.equal(r.status, 409, 'not saved: it brings deletion forward');
    const page = await r.text();
    assert.match(page, /This change makes 3 recording\(s\) due earlier — 3 of them at once/);
    assert.deepEqual(idsIn(page, 'earlier'), calls, 'which calls: the dry run');
    assert.equal(keepOf(), 'P90D', 'the policy is unchanged');
    r = await ada.post('/retention/purge');
    assert.equal(r.status, 303);
    assert.ok(calls.every((id) => store.recordings.get(id)), '"Run purge now" deletes nothing');
    // the code refuses, not just the page
    await assert.rejects(savePolicy(store, log, 'user:ada', 'support', { ...SUPPORT, keep: 'P6D' }),
      (e: unknown) => isTresorError(e, 'E_NEEDS_APPROVAL') && e.detail.reason === 'needs-approval' && e.detail.earlier === 3);

    // asking: a reason, no grace → four-eyes
    r = await ada.post('/retention/policies', { ...form, request: '1', reason: 'works council agreement of 1 Dec' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('Location'), '/retention?done=change-requested');
    const a = pendingApprovals(store).find((x) => x.kind === 'policy.change')!;
    assert.equal(a.target, 'policy:support');
    assert.match(await (await ada.get('/retention')).text(), /Policy changes waiting for a second person/);
    assert.equal((await ada.post(`/approvals/${a.id}/decide`, { decision: 'approve' })).status, 403, 'not by the requester');
    assert.equal(keepOf(), 'P90D');

    const dan = browser(w);
    assert.equal((await dan.login('dan')).status, 303);
    const approvals = await (await dan.get('/approvals')).text();
    const i = approvals.indexOf(`id="a-${a.id}"`);
    assert.ok(i > 0);
    assert.match(approvals.slice(i), /keep P90D → P6D; 3 recording\(s\) become due earlier, 3 of them at once/);
    assert.deepEqual([...approvals.slice(i).matchAll(/<tr data-id="([0-9A-Z]{26})"/g)].map((m) => m[1]).sort(), calls);
    r = await dan.post(`/approvals/${a.id}/decide`, { decision: 'approve' });
    assert.equal(r.status, 303);
    assert.equal(keepOf(), 'P6D', 'in force once a second person approved');
    const saved = log.about('target', 'policy:support', 10).find((e) => e.action === 'retention.policy.saved')!;
    assert.equal(saved.detail.approval, a.id, 'the log ties the change to its approval');
    assert.equal(getApproval(store, a.id)!.result!.outcome, 'done');
    r = await ada.post('/retention/purge');
    assert.equal(r.status, 303);
    assert.ok(calls.every((id) => !store.recordings.get(id)), 'now the purge takes them');
  });

  it('policy_change_with_a_grace_period_takes_effect_after_it_unless_rejected_and_the_log_has_the_date', async () => {
    const { store, log } = w.site;
    const id = await w.ingestCall(freepbxName(4, 7), { seconds: 2, source: 'noise' }, { queue: 'support' });
    const ada = browser(w);
    await ada.login('ada');
    const form = { name: 'support', keep: 'P2D', queue: 'support', direction: '', purpose: '', tags: '', consent: '', request: '1', reason: 'shorter by agreement' };
    let r = await ada.post('/retention/policies', { ...form, graceDays: '3' });
    assert.equal(r.status, 400, 'a grace period is at least 7 days');
    assert.match(await r.text(), /at least 7/);
    r = await ada.post('/retention/policies', { ...form, graceDays: '14' });
    assert.equal(r.status, 303);
    const a = pendingApprovals(store).find((x) => x.kind === 'policy.change')!;
    const requested = log.about('target', 'policy:support', 5).find((e) => e.action === 'approval.requested')!;
    assert.equal(requested.detail.graceUntil, new Date(a.graceUntil!).toISOString(), 'the log records when it takes effect');
    assert.equal(requested.detail.earlier, 1);
    assert.ok(Math.abs(a.graceUntil! - (a.requestedAt + 14 * DAY)) < 1000);
    assert.equal((await applyGraceElapsed(w.site, Date.now() + 13 * DAY)).length, 0, 'not before its grace is over');
    assert.equal(keepOf(), 'P6D');
    const done = await applyGraceElapsed(w.site, Date.now() + 15 * DAY);
    assert.equal(done.length, 1);
    assert.equal(keepOf(), 'P2D', 'in force after the grace period');
    assert.equal(store.recordings.get(id)!.retention!.policy, 'support');
    const approved = log.about('target', 'policy:support', 5).find((e) => e.action === 'approval.approved')!;
    assert.equal(approved.detail.grace, true);
  });

  it('policy_change_from_the_cli_is_refused_with_its_dry_run_and_becomes_a_request_with_a_reason', async () => {
    const id = await w.ingestCall(freepbxName(1, 8, 2 * 3600_000), { seconds: 2, source: 'noise' }, { queue: 'support' });
    let r = await tresor(w.config, ['retention', 'set', 'support', '--keep', 'P1D', '--queue', 'support']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /NEEDS APPROVAL: this change makes 2 recording\(s\) due earlier than now \(1 of them at once\)/, "the new call and the one from before");
    assert.match(r.stdout, new RegExp(`EARLIER ${id} `));
    assert.equal(keepOf(), 'P2D');
    r = await tresor(w.config, ['retention', 'set', 'support', '--keep', 'P1D', '--queue', 'support', '--reason', 'agreed with the DPO']);
    assert.equal(r.code, 0, r.stderr);
    const a = getApproval(w.site.store, r.stdout.trim())!;
    assert.equal(a.kind, 'policy.change');
    assert.equal(keepOf(), 'P2D', 'still waiting for a second person');
    await decide(w.site.store, w.site.log, a.id, { by: 'user:dan', person: 'dan', roles: ['dpo'], approve: false, note: 'no' });
  });

  it('config_file_that_shortens_a_policy_keeps_the_stored_one_and_files_a_reject_only_request_with_grace', async () => {
    const { store, log } = w.site;
    const shorter = [{ name: 'support', match: { queue: ['support'] }, keep: 'P1D', lock: false }];
    const s1 = await syncConfigPolicies(store, log, shorter, { graceDays: 30 });
    assert.equal(s1.applied, 0);
    assert.equal(s1.waiting.length, 1);
    assert.equal(keepOf(), 'P2D', 'the stored policy stays in force');
    const a = getApproval(store, s1.waiting[0]!.approval)!;
    assert.equal(a.requestedBy, 'config');
    assert.ok(Math.abs(a.graceUntil! - (Date.now() + 30 * DAY)) < 60_000);
    // the file's author is unknown, so nobody can be "the second person": reject only
    await assert.rejects(decide(store, log, a.id, { by: 'user:dan', person: 'dan', roles: ['dpo'], approve: true }),
      (e: unknown) => isTresorError(e, 'E_REJECT_ONLY') && e.detail.reason === 'reject-only');
    const s2 = await syncConfigPolicies(store, log, shorter, { graceDays: 30 });
    assert.equal(s2.waiting[0]!.approval, a.id, 'a restart does not ask twice');
    // the CLI (and the service at start) say so
    const r = await tresor({ ...w.config, retention: { ...w.config.retention, policies: shorter } }, ['purge', '--dry-run']);
    assert.match(r.stderr, /configuration file changes policy "support" so that \d+ recording\(s\) become due earlier: the stored policy stays in force until/);
    await applyGraceElapsed(w.site, Date.now() + 31 * DAY);
    assert.equal(keepOf(), 'P1D', 'in force after the grace period');
  });
});
