process.env.TZ = 'Europe/Berlin';

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeAudio, makeHostile } from './helpers/audio.ts';
import { ingestSite, sidecarOf, source } from './helpers/ingest.ts';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { cli } from './helpers/site.ts';
import { fsck } from '../src/site/fsck.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { listQuarantine, openQuarantined, quarantineDir } from '../src/ingest/quarantine.ts';
import { getRecording } from '../src/store/index.ts';
import { pendingApprovals } from '../src/approvals/index.ts';

// Quarantine recovery (issue 9 item 13): a call kept in quarantine must be able to get
// out again with corrected metadata, by redelivery, console or CLI, never be deleted as a
// "duplicate" of itself, and an admin must be able to tell which call a row is, and get
// rid of many at once with one second person.

const PHONE = '4930123456';
// FreePBX: type external (outgoing), to PHONE, from extension 201, 27 Nov 2026 10:15:0N
const nameOf = (n: number) => `external-${PHONE}-201-20261127-1015${String(n).padStart(2, '0')}-1732700100.${n}.wav`;

function logged(site: { log: { entries(a: number, b: number): { action: string; target: string; actor: string; detail: Record<string, unknown> }[]; size(): number } }, action: string) {
  return site.log.entries(0, site.log.size()).filter((e) => e.action === action);
}

test('redelivered_bytes_of_a_quarantined_call_with_a_corrected_sidecar_are_archived_not_deleted', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'delete'));
  try {
    const first = await makeAudio(s.work(), nameOf(1), { format: 'wav-pcm8k', seconds: 2 });
    const bytes = readFileSync(first);
    writeFileSync(sidecarOf(first), JSON.stringify({ direction: 'sideways', queue: 'support' }));
    const q = await s.ingest.ingestFile(source(first, sidecarOf(first)));
    assert.equal(q.status, 'quarantined');
    const qid = (q as { quarantineId: string }).quarantineId;

    // the PBX team fixes the CRM export and drops the call in again
    const again = join(s.work(), nameOf(1));
    writeFileSync(again, bytes);
    writeFileSync(sidecarOf(again), JSON.stringify({ direction: 'inbound', queue: 'support' }));
    const o = await s.ingest.ingestFile(source(again, sidecarOf(again)));
    assert.equal(o.status, 'archived', JSON.stringify(o));
    const row = getRecording(s.site.store, (o as { id: string }).id)!;
    assert.equal(row.direction, 'in', 'the corrected sidecar was used');
    assert.equal(row.queue, 'support');
    assert.deepEqual(listQuarantine(s.site.store), [], 'the quarantine entry is gone: the call is archived');
    assert.ok(!existsSync(join(quarantineDir(s.config.dataDir), qid)));
    const joined = logged(s.site, 'quarantine.joined');
    assert.equal(joined.length, 1);
    assert.equal(joined[0]!.target, `quarantine:${qid}`);
    assert.equal(joined[0]!.detail.outcome, 'archived');
    assert.equal(logged(s.site, 'recording.duplicate').length, 0, 'never called a duplicate');
    assert.deepEqual((await fsck(s.site, s.archive)).problems, []);
  } finally {
    await s.close();
  }
});

test('redelivery_that_fails_again_joins_the_entry_and_keeps_both_sidecars', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'delete'));
  try {
    const first = await makeAudio(s.work(), nameOf(2), { format: 'wav-pcm8k', seconds: 2 });
    const bytes = readFileSync(first);
    writeFileSync(sidecarOf(first), JSON.stringify({ direction: 'sideways' }));
    const q = await s.ingest.ingestFile(source(first, sidecarOf(first)));
    const qid = (q as { quarantineId: string }).quarantineId;
    const again = join(s.work(), nameOf(2));
    writeFileSync(again, bytes);
    const second = JSON.stringify({ direction: 'out', consent: { state: 'perhaps' } });
    writeFileSync(sidecarOf(again), second);
    const o = await s.ingest.ingestFile(source(again, sidecarOf(again)));
    assert.equal(o.status, 'quarantined', JSON.stringify(o));
    assert.equal((o as { quarantineId: string }).quarantineId, qid, 'the same entry, not a second one');
    assert.match((o as { message: string }).message, /consent\.state/, 'the new reason');
    const rows = listQuarantine(s.site.store);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.attempts, 2);
    const kept = await openQuarantined({ dataDir: s.config.dataDir, store: s.site.store, keys: s.site.keys }, qid);
    assert.ok(kept.bytes.equals(bytes));
    assert.equal(kept.sidecar!.toString(), second, 'the entry holds the latest sidecar');
    assert.equal(logged(s.site, 'recording.duplicate').length, 0);
  } finally {
    await s.close();
  }
});

describe('quarantine in the console and the CLI', () => {
  let w: WebSite;
  let dir: string;

  /** Quarantines a real call (with a sidecar the pipeline refuses); returns its entry id. */
  async function quarantineCall(n: number, sidecar: unknown = { direction: 'sideways' }): Promise<string> {
    const path = await makeAudio(dir, nameOf(n), { format: 'wav-pcm8k', seconds: 2, source: 'noise', seed: n });
    writeFileSync(sidecarOf(path), JSON.stringify(sidecar));
    const ingest = createIngest({ config: { ...w.config, ingest: { ...w.config.ingest, disposition: 'delete' } }, store: w.site.store, keys: w.site.keys, archive: w.archive, log: w.site.log, media: w.media, gates: ingestGates(w.config, w.site) });
    const o = await ingest.ingestFile({ path, relPath: `2026/11/27/${nameOf(n)}`, sidecarPath: sidecarOf(path) });
    assert.equal(o.status, 'quarantined', JSON.stringify(o));
    return (o as { quarantineId: string }).quarantineId;
  }

  async function quarantineJunk(n: number): Promise<string> {
    const path = await makeHostile(dir, nameOf(n), 'random');
    const ingest = createIngest({ config: w.config, store: w.site.store, keys: w.site.keys, archive: w.archive, log: w.site.log, media: w.media, gates: ingestGates(w.config, w.site) });
    const o = await ingest.ingestFile({ path, relPath: nameOf(n), sidecarPath: null });
    return (o as { quarantineId: string }).quarantineId;
  }

  before(async () => {
    w = await webSite();
    dir = mkdtempSync(join(tmpdir(), 'tresor-qr-'));
    await makeUser(w, 'ada', ['admin']);
    await makeUser(w, 'bob', ['admin']);
    await makeUser(w, 'sue', ['supervisor']);
  });
  after(async () => {
    await w.close();
  });

  test('console_retry_with_a_corrected_sidecar_archives_the_call', async () => {
    const qid = await quarantineCall(10);
    const ada = browser(w);
    await ada.login('ada');
    const r = await ada.post(`/quarantine/${qid}/retry`, { sidecar: JSON.stringify({ direction: 'outgoing', queue: 'sales' }) });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/?done=retry-archived');
    assert.equal(w.site.store.quarantine.get(qid), undefined);
    const e = logged(w.site, 'quarantine.retried').at(-1)!;
    assert.equal(e.actor, 'user:ada');
    assert.equal(e.detail.outcome, 'archived');
    assert.equal(e.detail.sidecar, 'corrected');
    const row = getRecording(w.site.store, String(e.detail.recording).replace('recording:', ''))!;
    assert.equal(row.direction, 'out');
    assert.equal(row.queue, 'sales');
    // a corrected sidecar that is still wrong: the entry stays, with the new reason
    const qid2 = await quarantineCall(11);
    const r2 = await ada.post(`/quarantine/${qid2}/retry`, { sidecar: '{"direction": 7}' });
    assert.equal(r2.headers.get('location'), '/?done=retry-quarantined');
    assert.match((w.site.store.quarantine.get(qid2) as { message: string }).message, /direction/);
  });

  test('quarantine_rows_say_which_call_they_are_without_personal_data_for_admins', async () => {
    const qid = await quarantineCall(12, { direction: 'sideways', queue: 'billing', agent: 'Anna Agent' });
    const ada = browser(w);
    await ada.login('ada');
    const page = await (await ada.get('/')).text();
    const row = new RegExp(`<tr id="q-${qid}">[\\s\\S]*?</tr>`).exec(page)![0];
    assert.match(row, /27 Nov 2026, 10:15/, 'the call time from its name');
    assert.match(row, /billing/, 'the queue from its sidecar');
    assert.match(row, /data-k="call-direction">out</, 'the direction from its name');
    assert.ok(!page.includes(PHONE) && !page.includes('Anna Agent'), 'no numbers or names for an admin');
    assert.ok(!page.includes('quarantine=personal'), 'no way to ask for them either');

    // a supervisor may see numbers and names: on request, logged before anything is opened
    const sue = browser(w);
    await sue.login('sue');
    const plain = await (await sue.get('/')).text();
    assert.ok(!plain.includes(PHONE), 'not shown by default');
    const views = logged(w.site, 'quarantine.viewed').length;
    const shown = await (await sue.get('/?quarantine=personal')).text();
    const suesRow = new RegExp(`<tr id="q-${qid}">[\\s\\S]*?</tr>`).exec(shown)![0];
    assert.ok(suesRow.includes(`+${PHONE}`), 'the number');
    assert.ok(suesRow.includes('Anna Agent'), 'the agent');
    const v = logged(w.site, 'quarantine.viewed');
    assert.equal(v.length, views + 1);
    assert.equal(v.at(-1)!.actor, 'user:sue');
    assert.ok((v.at(-1)!.detail.ids as string[]).includes(qid));
    assert.ok(!JSON.stringify(v.at(-1)).includes(PHONE));
    // an admin asking anyway gets nothing personal
    const forced = await (await ada.get('/?quarantine=personal')).text();
    assert.ok(!forced.includes(PHONE));
  });

  test('console_discards_a_selection_with_one_four_eyes_approval', async () => {
    const ids = [await quarantineJunk(20), await quarantineJunk(21), await quarantineJunk(22)];
    const keep = await quarantineJunk(23);
    const ada = browser(w);
    await ada.login('ada');
    const before = pendingApprovals(w.site.store).length;
    const r = await ada.post('/quarantine/discard', { ids, reason: 'test noise from the PBX vendor' });
    assert.equal(r.status, 303, await r.text());
    assert.equal(r.headers.get('location'), '/?done=discard-requested');
    const pending = pendingApprovals(w.site.store);
    assert.equal(pending.length, before + 1, 'one request for the whole selection');
    const req = pending.at(-1)!;
    for (const id of ids) assert.ok(w.site.store.quarantine.get(id), 'nothing goes before the second person');
    // the page marks every selected entry as waiting
    const page = await (await ada.get('/')).text();
    for (const id of ids) assert.match(new RegExp(`<tr id="q-${id}">[\\s\\S]*?</tr>`).exec(page)![0], /Discard requested by user:ada/);
    // the requester cannot approve; a second person does, once
    assert.equal((await ada.post(`/approvals/${req.id}/decide`, { decision: 'approve' })).status, 403);
    const bob = browser(w);
    await bob.login('bob');
    assert.equal((await bob.post(`/approvals/${req.id}/decide`, { decision: 'approve' })).status, 303);
    for (const id of ids) {
      assert.equal(w.site.store.quarantine.get(id), undefined);
      assert.ok(!existsSync(join(quarantineDir(w.config.dataDir), id)));
    }
    assert.ok(w.site.store.quarantine.get(keep), 'an entry not selected stays');
    const discarded = logged(w.site, 'quarantine.discarded').filter((e) => ids.includes(e.target.replace('quarantine:', '')));
    assert.equal(discarded.length, 3);
    assert.ok(discarded.every((e) => e.actor === 'user:bob' && e.detail.approval === req.id));
  });

  test('cli_quarantine_retry_with_a_sidecar_file_archives_the_call', async () => {
    const qid = await quarantineCall(30);
    const fixed = join(dir, 'fixed.json');
    writeFileSync(fixed, JSON.stringify({ direction: 'in', queue: 'cli-fixed' }));
    // the CLI is its own process: close this one's hold on the index first
    await w.close();
    const r = await cli(w.config, ['quarantine', 'retry', qid, '--sidecar', fixed]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /archived as [0-9A-Z]{26}/);
    const list = JSON.parse((await cli(w.config, ['list', '--json', '--queue', 'cli-fixed'])).stdout) as { direction: string }[];
    assert.equal(list.length, 1);
    assert.equal(list[0]!.direction, 'in');
    const ql = JSON.parse((await cli(w.config, ['quarantine', 'list', '--json'])).stdout) as { id: string }[];
    assert.ok(!ql.some((q) => q.id === qid));
    w = await webSite((c) => Object.assign(c, { dataDir: w.config.dataDir, inbox: w.config.inbox }));
  });
});

