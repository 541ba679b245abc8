import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { webSite, type WebSite } from './helpers/web.ts';
import { cli } from './helpers/site.ts';
import { cliPrincipal } from '../src/auth/index.ts';
import { isTresorError } from '../src/core/errors.ts';
import { newId } from '../src/core/ids.ts';
import { APPROVAL_TTL_MS, decide, getApproval, runApproved } from '../src/approvals/index.ts';
import { type ApprovalRow } from '../src/store/index.ts';
import { DELETE_KIND, MAX_DELETE_IDS, requestDeletion, retentionKinds } from '../src/retention/deletion.ts';
import { addHold, getHold, HOLD_RELEASE_KIND, holdSearchOf, listHolds, requestHoldRelease } from '../src/retention/holds.ts';
import { savePolicy } from '../src/retention/policies.ts';
import { runPurge, whyStillHere } from '../src/retention/purge.ts';
import type { PurgedRow } from '../src/store/index.ts';
import { normalizeNumber } from '../src/core/phone.ts';

// Legal holds and four-eyes early deletion on a real archive (real ffmpeg ingest): a hold
// by id or by saved search keeps a due call from the purge, also a call that arrives after
// the hold; letting go needs a second person; early deletion crypto-shreds after a second
// person agrees, skips held calls, and leaves a tombstone naming the approval.

const DAY = 86_400_000;
const CASE = 'Müller ./. Example GmbH, LG Berlin 12 O 345/26';
const REASON = 'Frau Müller (+49 151 2222333) klagt auf Schadensersatz';

/** A FreePBX name: inbound to 030 123456, from `from`, `daysAgo` days ago. */
function freepbxName(daysAgo: number, n: number, from = `0151${20000000 + n}`): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${from}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642511${p(n)}.${n}.wav`;
}

const refused = (code: string, reason?: string) => (e: unknown) => isTresorError(e, code as never) && (reason === undefined || e.detail.reason === reason);

describe('legal holds and early deletion', () => {
  let w: WebSite;
  const ids: Record<string, string> = {};
  const dora = { by: 'user:dora', person: 'dora' };
  const dan = { by: 'user:dan', person: 'dan', roles: ['dpo'] as const };
  const entries = () => w.site.log.entries(0, w.site.log.size());
  const deps = () => ({ store: w.site.store, log: w.site.log, dataDir: w.config.dataDir });
  const approveAndRun = async (a: ApprovalRow, who = dan) => {
    const row = await decide(w.site.store, w.site.log, a.id, { by: who.by, person: who.person, roles: [...who.roles], approve: true });
    const kind = retentionKinds(deps())[row.kind]!;
    return runApproved(w.site.store, a.id, (r) => kind.execute(r, who.by));
  };

  before(async () => {
    w = await webSite();
    await savePolicy(w.site.store, w.site.log, 'user:ada', 'support-short', { name: 'support-short', match: { queue: ['support'] }, keep: 'P1D', lock: false });
    ids.heldById = await w.ingestCall(freepbxName(4, 1), { seconds: 3, source: 'noise' }, { queue: 'support', purpose: 'service', tags: ['complaint'] });
    ids.free = await w.ingestCall(freepbxName(4, 2), { seconds: 3, source: 'noise' }, { queue: 'support', purpose: 'service', tags: [] });
    ids.sales = await w.ingestCall(freepbxName(30, 3), { seconds: 3, source: 'noise' }, { queue: 'sales', purpose: 'sales', tags: [] });
  });
  after(() => w?.close());

  it('refuses a hold without case, reason or scope, with malformed ids, or with ids not in the archive (saying which)', async () => {
    const { store, log } = w.site;
    const add = (o: Partial<Parameters<typeof addHold>[3]>) => addHold(store, log, dora.by, { caseName: CASE, reason: REASON, ids: [ids.heldById!], ...o });
    await assert.rejects(add({ caseName: ' ' }), refused('E_INVALID', 'no-case'));
    await assert.rejects(add({ reason: '' }), refused('E_INVALID', 'no-reason'));
    await assert.rejects(add({ ids: [] }), refused('E_INVALID', 'empty-scope'));
    await assert.rejects(add({ ids: [ids.heldById!, 'not-an-id'] }), (e: unknown) => refused('E_INVALID', 'malformed-id')(e) && /not-an-id/.test((e as Error).message));
    const ghost = newId();
    await assert.rejects(add({ ids: [ids.heldById!, ghost] }), (e: unknown) => refused('E_NOT_FOUND', 'unknown-id')(e) && (e as Error).message.includes(ghost));
    await assert.rejects(add({ ids: [], search: { fromMs: 2, toMs: 1 } }), /from is after to/);
    assert.equal(listHolds(store).length, 0, 'nothing was stored');
  });

  it('a hold by id keeps a due recording from the purge; the log gets counts, never the case name or reason', async () => {
    const { store, log } = w.site;
    const h = await addHold(store, log, dora.by, { caseName: CASE, reason: REASON, ids: [ids.heldById!.toLowerCase()] });
    assert.deepEqual(h.ids, [ids.heldById], 'ids are normalised to upper case');
    assert.equal(getHold(store, h.id)!.caseName, CASE);
    const placed = entries().at(-1)!;
    assert.equal(placed.action, 'hold.placed');
    assert.equal(placed.actor, 'user:dora');
    assert.equal(placed.target, `hold:${h.id}`);
    assert.deepEqual(placed.detail, { ids: 1, search: [] });
    const all = JSON.stringify(entries());
    assert.ok(!all.includes('Müller') && !all.includes('345/26') && !all.includes('2222333'), 'no case name or reason in the log');

    const r = await runPurge(deps(), { by: 'system:retention', now: Date.now() });
    assert.deepEqual(r.plan.held.map((x) => [x.id, x.hold]), [[ids.heldById, h.id]]);
    assert.deepEqual(r.plan.due.map((x) => x.id), [ids.free]);
    assert.equal(whyStillHere(store, ids.heldById!, Date.now()).state, 'kept');
    assert.equal((whyStillHere(store, ids.heldById!, Date.now()) as { hold: string }).hold, h.id);
    await w.access.readAudio(cliPrincipal('cli:test'), ids.heldById!, 'recording.exported');
    assert.equal(whyStillHere(store, ids.free!, Date.now()).state, 'purged');
    ids.hold1 = h.id;
  });

  it('a saved-search hold catches a call ingested after the hold was placed (number kept only as a keyed token)', async () => {
    const { store, log, keys } = w.site;
    const number = normalizeNumber('0176 5555 0001', w.config.phone)!;
    const search = holdSearchOf(keys, { number, queue: 'support' })!;
    assert.ok(!JSON.stringify(search).includes('5555'), 'no number in the clear');
    const h = await addHold(store, log, dora.by, { caseName: 'Bafin inquiry 2026-17', reason: 'regulator asked for all calls of this customer', search });
    // the token's prefix, as a search entry has it (issue 16): matchable, yet no number
    assert.deepEqual(entries().at(-1)!.detail, { ids: 0, search: ['queue', 'phoneToken'], phoneToken: search.phoneToken!.slice(0, 16) });
    const later = await w.ingestCall(freepbxName(5, 4, '017655550001'), { seconds: 3, source: 'noise' }, { queue: 'support', purpose: 'service', tags: [] });
    const other = await w.ingestCall(freepbxName(5, 5, '017655550002'), { seconds: 3, source: 'noise' }, { queue: 'support', purpose: 'service', tags: [] });
    const r = await runPurge(deps(), { by: 'system:retention', now: Date.now() });
    assert.deepEqual(r.plan.held.map((x) => [x.id, x.hold]).sort(), [[ids.heldById, ids.hold1], [later, h.id]].sort());
    assert.deepEqual(r.plan.due.map((x) => x.id), [other]);
    assert.equal(whyStillHere(store, later, Date.now()).state, 'kept');
    ids.later = later;
    ids.hold2 = h.id;
  });

  it('releasing a hold needs a second, different person; then the purge takes what it kept', async () => {
    const { store, log } = w.site;
    const a = await requestHoldRelease(store, log, dora.by, ids.hold1!, { reason: 'case settled on 2026-11-20', person: dora.person });
    assert.equal(a.kind, HOLD_RELEASE_KIND);
    assert.equal(a.target, `hold:${ids.hold1}`);
    await assert.rejects(requestHoldRelease(store, log, 'user:ada', ids.hold1!, { reason: 'again', person: 'ada' }), refused('E_CONFLICT', 'already-requested'));
    // the requester cannot approve, not even with admin roles or through a token
    await assert.rejects(decide(store, log, a.id, { by: dora.by, person: dora.person, roles: ['dpo', 'admin'], approve: true }), refused('E_FOUR_EYES', 'own-request'));
    await assert.rejects(decide(store, log, a.id, { by: 'token:T9', person: 'dora', roles: ['dpo'], approve: true }), refused('E_FOUR_EYES', 'own-request'));
    // a supervisor may not decide
    await assert.rejects(decide(store, log, a.id, { by: 'user:sue', person: 'sue', roles: ['supervisor'], approve: true }), refused('E_FORBIDDEN', 'no-permission'));
    assert.equal(getHold(store, ids.hold1!)!.state, 'active');

    const { row, result } = await approveAndRun(a);
    assert.equal(row.state, 'done');
    assert.deepEqual(result, { released: ids.hold1, outcome: 'done', summary: `hold ${ids.hold1} released` });
    const h = getHold(store, ids.hold1!)!;
    assert.equal(h.state, 'released');
    assert.equal(h.releasedBy, 'user:dan');
    assert.equal(h.releaseApprovalId, a.id);
    const rel = entries().find((e) => e.action === 'hold.released')!;
    assert.equal(rel.actor, 'user:dan');
    assert.equal(rel.target, `hold:${ids.hold1}`);
    assert.equal(rel.detail.approval, a.id);
    await assert.rejects(requestHoldRelease(store, log, dora.by, ids.hold1!, { reason: 'x', person: 'dora' }), refused('E_CONFLICT', 'released'));

    const r = await runPurge(deps(), { by: 'system:retention', now: Date.now() });
    assert.deepEqual(r.plan.due.map((x) => x.id), [ids.heldById]);
    assert.deepEqual(r.plan.held.map((x) => x.id), [ids.later], 'the other hold still holds');
    assert.equal(whyStillHere(store, ids.heldById!, Date.now()).state, 'purged');
  });

  it('early deletion: four-eyes, held calls skipped; the approved one is shredded with a tombstone naming the approval', async () => {
    const { store, log } = w.site;
    await assert.rejects(requestDeletion(store, log, dora.by, { ids: [], reason: 'x' }), refused('E_INVALID', 'no-ids'));
    await assert.rejects(requestDeletion(store, log, dora.by, { ids: ['nope'], reason: 'x' }), refused('E_INVALID', 'malformed-id'));
    await assert.rejects(requestDeletion(store, log, dora.by, { ids: Array.from({ length: MAX_DELETE_IDS + 1 }, () => newId()), reason: 'x' }), refused('E_INVALID', 'too-many'));
    await assert.rejects(requestDeletion(store, log, dora.by, { ids: [ids.heldById!], reason: 'x' }), (e: unknown) => refused('E_NOT_FOUND', 'unknown-id')(e) && /already purged/.test((e as Error).message));
    await assert.rejects(requestDeletion(store, log, dora.by, { ids: [ids.sales!], reason: ' ' }), refused('E_INVALID', 'no-reason'));

    const a = await requestDeletion(store, log, dora.by, { ids: [ids.sales!, ids.later!], reason: 'Art. 17 request of the caller, ticket 4711', person: 'dora' });
    assert.equal(a.kind, DELETE_KIND);
    assert.deepEqual(a.payload.ids, [ids.sales, ids.later]);
    await assert.rejects(decide(store, log, a.id, { by: dora.by, person: 'dora', roles: ['dpo'], approve: true }), refused('E_FOUR_EYES', 'own-request'));
    assert.ok(store.recordings.get(ids.sales!), 'nothing happens before a second person agrees');

    const { result } = await approveAndRun(a);
    assert.deepEqual(result.purged, [ids.sales]);
    assert.deepEqual(result.held, [{ id: ids.later, hold: ids.hold2 }], 'the held call is skipped, and the result says so');
    await assert.rejects(w.access.readAudio(cliPrincipal('cli:test'), ids.sales!, 'recording.exported'), (e: unknown) => isTresorError(e, 'E_NOT_FOUND'));
    const why = whyStillHere(store, ids.sales!, Date.now());
    assert.equal(why.state, 'purged');
    const t = (why as { purged: PurgedRow }).purged;
    assert.equal(t.reason, 'request');
    assert.equal(t.approval, a.id);
    assert.equal(t.by, 'user:dan');
    assert.equal(t.run, null);
    const purged = entries().filter((e) => e.action === 'recording.purged' && e.target === `recording:${ids.sales}`);
    assert.equal(purged.length, 1);
    assert.equal(purged[0]!.actor, 'user:dan');
    assert.deepEqual({ reason: purged[0]!.detail.reason, approval: purged[0]!.detail.approval }, { reason: 'request', approval: a.id });
    assert.ok(store.recordings.get(ids.later!), 'held call still there');
    assert.ok(!JSON.stringify(entries()).includes('4711'), 'the reason stays out of the log');
  });

  it('deletion requests expire (approvals TTL)', async () => {
    const { store, log } = w.site;
    const keep = await w.ingestCall(freepbxName(2, 6), { seconds: 3, source: 'noise' }, { queue: 'sales', purpose: 'sales', tags: [] });
    const a = await requestDeletion(store, log, dora.by, { ids: [keep], reason: 'old request', person: 'dora', now: Date.now() - APPROVAL_TTL_MS - 1000 });
    await assert.rejects(decide(store, log, a.id, { by: dan.by, person: dan.person, roles: ['dpo'], approve: true }), refused('E_EXPIRED', 'expired'));
    assert.equal(getApproval(store, a.id)!.state, 'expired');
    assert.ok(store.recordings.get(keep));
    ids.keep = keep;
  });

  describe('CLI', () => {
    // asynchronously: this process has the site open (issue 9, item 9: a spawnSync here
    // can deadlock on LMDB's writer lock)
    const run = (args: string[]) => cli(w.config, args);
    const me = `cli:${userInfo().username}`;

    it('tresor hold add (ids and saved search), hold list --json; refusals exit 2 or 1 with the reason', async () => {
      let r = await run(['hold', 'add', ids.keep!, '--case', 'AG Köln 1 C 2/26', '--reason', 'preserve']);
      assert.equal(r.code, 0, r.stderr);
      const byId = /placed hold (\S+): 1 recording/.exec(r.stdout)![1]!;
      r = await run(['hold', 'add', '--number', '0176 5555 0003', '--since', '2026-01-01', '--case', 'AG Köln 1 C 3/26', '--reason', 'preserve']);
      assert.equal(r.code, 0, r.stderr);
      const bySearch = /placed hold (\S+): 0 recording/.exec(r.stdout)![1]!;
      assert.match(r.stdout, /search on fromMs, phoneToken/);
      r = await run(['hold', 'add', ids.keep!, '--case', 'x']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--reason/);
      r = await run(['hold', 'add', newId(), '--case', 'x', '--reason', 'y']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /E_NOT_FOUND: not in the archive/);
      r = await run(['hold', 'list', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const list = JSON.parse(r.stdout) as { id: string; caseName: string; createdBy: string; search: Record<string, unknown> | null; state: string }[];
      const a = list.find((h) => h.id === byId)!;
      assert.equal(a.caseName, 'AG Köln 1 C 2/26');
      assert.equal(a.createdBy, me);
      const b = list.find((h) => h.id === bySearch)!;
      const token = w.site.keys.token('phone', normalizeNumber('017655550003', w.config.phone)!);
      assert.equal(b.search!.phoneToken, token);
      assert.equal(b.search!.fromMs, new Date(2026, 0, 1).getTime(), 'a bare date means local midnight, as on the search page');
      ids.cliHold = byId;
    });

    it('tresor hold release → approval id; tresor approve refuses the same CLI user; a console user approves on the console side', async () => {
      let r = await run(['hold', 'release', ids.cliHold!, '--reason', 'case closed']);
      assert.equal(r.code, 0, r.stderr);
      const approval = r.stdout.trim();
      assert.equal(getApproval(w.site.store, approval)!.requestedBy, me);
      r = await run(['approve', approval]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /asked for this yourself/);
      assert.equal(getHold(w.site.store, ids.cliHold!)!.state, 'active');
      await approveAndRun(getApproval(w.site.store, approval)!);
      assert.equal(getHold(w.site.store, ids.cliHold!)!.state, 'released');
    });

    it('tresor delete request (from the CLI) and tresor approve of a console user\'s request', async () => {
      let r = await run(['delete', 'request', ids.keep!, '--reason', 'recorded by mistake']);
      assert.equal(r.code, 0, r.stderr);
      const own = r.stdout.trim();
      r = await run(['approve', own, '--reject', '--note', 'cannot']);
      assert.equal(r.code, 1, 'own request: not even a rejection');
      // rejected by someone else
      await decide(w.site.store, w.site.log, own, { by: dan.by, person: dan.person, roles: ['dpo'], approve: false });
      const a = await requestDeletion(w.site.store, w.site.log, dora.by, { ids: [ids.keep!], reason: 'recorded by mistake', person: 'dora' });
      r = await run(['approve', a.id, '--note', 'checked ticket']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /approved recording\.delete recording:[0-9A-Z]{26} \([0-9A-Z]{26}\): carried out: 1 of 1 recording\(s\) deleted/);
      const t = (whyStillHere(w.site.store, ids.keep!, Date.now()) as { purged: PurgedRow }).purged;
      assert.equal(t.approval, a.id);
      assert.equal(t.by, me);
      assert.equal(getApproval(w.site.store, a.id)!.note, 'checked ticket');
    });
  });
});
