import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { savePolicy } from '../src/retention/policies.ts';
import { addHold } from '../src/retention/holds.ts';
import { describeDeletion, requestDeletion } from '../src/retention/deletion.ts';
import { getApproval } from '../src/approvals/index.ts';
import { tresor } from './helpers/run.ts';

// Issue 9 #12: an approver saw `recordings:2e274be9…` and nothing else, and approving the
// deletion of a held call reported "carried out" although nothing was deleted. The
// request now shows what approving does (count, the calls with date, duration, queue;
// the holds that win) and its result says what actually happened.

const DAY = 86_400_000;
function freepbxName(daysAgo: number, n: number): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-0151${50000000 + n}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17643400${p(n)}.${n}.wav`;
}

const tableIds = (page: string, id: string) => {
  const m = new RegExp(`<table class="calls" id="calls-${id}"[\\s\\S]*?</table>`).exec(page);
  return m ? [...m[0].matchAll(/data-id="([0-9A-Z]{26})"/g)].map((x) => x[1]!).sort() : [];
};
/** The part of the page about one pending request: from its anchor to the next one. */
const article = (page: string, id: string) => {
  const i = page.indexOf(`id="a-${id}"`);
  if (i < 0) return '';
  const j = page.indexOf('id="a-', i + 5);
  return page.slice(i, j < 0 ? undefined : j);
};

describe('four-eyes approvals show what they will do and say what they did', () => {
  let w: WebSite;
  const ids: Record<string, string> = {};
  before(async () => {
    w = await webSite();
    await makeUser(w, 'dora', ['dpo']);
    await makeUser(w, 'dan', ['dpo']);
    await savePolicy(w.site.store, w.site.log, 'user:ada', 'year', { name: 'year', match: {}, keep: 'P1Y', lock: false });
    ids.a = await w.ingestCall(freepbxName(3, 1), { seconds: 3, source: 'noise' }, { queue: 'support' });
    ids.b = await w.ingestCall(freepbxName(2, 2), { seconds: 5, source: 'noise' }, { queue: 'billing' });
  });
  after(() => w?.close());

  it('approval_shows_calls_and_holds_and_reports_nothing_deleted_for_a_held_call', async () => {
    const { store, log } = w.site;
    const hold = await addHold(store, log, 'user:dora', { caseName: 'LG Köln 5 O 77/26', reason: 'court order', ids: [ids.b!] });
    const both = await requestDeletion(store, log, 'user:dora', { ids: [ids.a!, ids.b!], reason: 'customer asked for erasure', person: 'dora' });
    const heldOnly = await requestDeletion(store, log, 'user:dora', { ids: [ids.b!], reason: 'second request', person: 'dora' });
    const dan = browser(w);
    assert.equal((await dan.login('dan')).status, 303);

    // what approving would do: the count, the calls with date, duration and queue, the hold that wins
    const page = await (await dan.get('/approvals')).text();
    const one = article(page, both.id);
    assert.ok(one, 'the request is listed');
    assert.deepEqual(tableIds(one, both.id), [ids.a!, ids.b!].sort(), 'both calls are listed');
    assert.match(one, /<dt>Deletes<\/dt><dd>1<\/dd>/, 'it says that one of the two will go');
    assert.match(one, new RegExp(`data-id="${ids.a}"[\\s\\S]*?<td class="num">0:03</td><td>support</td>`), 'date, duration and queue of each call');
    assert.match(one, new RegExp(`data-held="${ids.b}"[\\s\\S]*?${hold.id}[^<]*</code></a> LG Köln 5 O 77/26`), 'the hold that wins, with its case for a dpo');
    assert.match(one, /A legal hold wins: these 1 stay/);
    // masked for a viewer who may not see call metadata
    const masked = describeDeletion(store, both, { roles: [] });
    assert.equal(masked.calls!.masked, true);
    assert.deepEqual(masked.calls!.rows.map((r) => [r.start, r.durationMs, r.queue]), [[null, null, null], [null, null, null]]);
    assert.equal(masked.held![0]!.caseName, null, 'no case name without holds.manage');

    // the same on the box's shell
    const shown = await tresor(w.config, ['approvals', 'show', both.id]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /will: deletes 1 of 2 recording\(s\) now; 1 stay under legal hold/);
    assert.match(shown.stdout, new RegExp(`CALL ${ids.a}  \\S+  3 s  queue support`));
    assert.match(shown.stdout, new RegExp(`HELD ${ids.b}  legal hold ${hold.id} \\(LG Köln 5 O 77/26\\): stays`));

    // approving the deletion of a held call deletes nothing, and says so
    let r = await dan.post(`/approvals/${heldOnly.id}/decide`, { decision: 'approve' });
    assert.equal(r.status, 303);
    assert.ok(store.recordings.get(ids.b!), 'the held call is still there');
    const nothing = getApproval(store, heldOnly.id)!;
    assert.equal(nothing.result!.outcome, 'nothing');
    const after1 = await (await dan.get(r.headers.get('Location')!)).text();
    assert.doesNotMatch(after1, /Approved and carried out/);
    const row = new RegExp(`<tr id="d-${heldOnly.id}"[\\s\\S]*?</tr>`).exec(after1)?.[0] ?? '';
    assert.match(row, /class="outcome-nothing">nothing changed<\/strong>: 1 kept by legal hold/, 'the result says nothing was deleted and why');

    // the other one deletes what it can and says what it kept
    r = await dan.post(`/approvals/${both.id}/decide`, { decision: 'approve' });
    assert.equal(r.status, 303);
    assert.equal(store.recordings.get(ids.a!), undefined, 'the free call is gone');
    assert.ok(store.recordings.get(ids.b!), 'the held call stays');
    const after2 = await (await dan.get('/approvals')).text();
    const row2 = new RegExp(`<tr id="d-${both.id}"[\\s\\S]*?</tr>`).exec(after2)?.[0] ?? '';
    assert.match(row2, /class="outcome-partial">partly carried out<\/strong>: 1 deleted, 1 kept by legal hold/);
    assert.match(row2, /1 of 2 recording\(s\) deleted; 1 kept by legal hold/);
  });
});
