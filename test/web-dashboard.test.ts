import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { listQuarantine, quarantineDir } from '../src/ingest/quarantine.ts';
import { createMedia, resolveFfmpeg } from '../src/media/index.ts';
import { requestApproval } from '../src/approvals/index.ts';
import { estimateGrowth } from '../src/web/routes/health.ts';
import { translator } from '../views/labels/common.ts';
import { liveFragment, type LiveData } from '../views/dashboard.ts';
import { makeAudio, makeHostile } from './helpers/audio.ts';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';

// A FreePBX-style name: the number in it must never show up on the dashboard.
const PHONE = '4930123456';
const nameOf = (n: number) => `external-${PHONE}-201-20261127-1015${String(n).padStart(2, '0')}-1732700100.${n}.wav`;

function logged(w: WebSite, action: string) {
  return w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === action);
}

/** Ingests a file of random bytes named like audio: quarantined (not audio at all). */
async function quarantineRandom(w: WebSite, n: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-bad-'));
  const path = await makeHostile(dir, nameOf(n), 'random');
  const ingest = createIngest({ config: w.config, store: w.site.store, keys: w.site.keys, archive: w.archive, log: w.site.log, media: w.media, gates: ingestGates(w.config, w.site) });
  const o = await ingest.ingestFile({ path, relPath: nameOf(n), sidecarPath: null });
  assert.equal(o.status, 'quarantined', JSON.stringify(o));
  return (o as { quarantineId: string }).quarantineId;
}

/** A good call that hit an ffmpeg time-out (box under load) with no attempts left: quarantined, fine on retry. */
async function quarantineTimedOut(w: WebSite, n: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-slow-'));
  const path = await makeAudio(dir, nameOf(n), { format: 'wav-pcm8k', seconds: 3, seed: 100 + n });
  const slow = createMedia(await resolveFfmpeg(w.config.ffmpeg), { timeoutMs: 1, stallMs: 1 });
  const config = { ...w.config, ingest: { ...w.config.ingest, maxAttempts: 1 } };
  const ingest = createIngest({ config, store: w.site.store, keys: w.site.keys, archive: w.archive, log: w.site.log, media: slow, gates: ingestGates(w.config, w.site) });
  const o = await ingest.ingestFile({ path, relPath: nameOf(n), sidecarPath: null });
  assert.equal(o.status, 'quarantined', JSON.stringify(o));
  assert.equal((o as { code: string }).code, 'E_FFMPEG_TIMEOUT');
  return (o as { quarantineId: string }).quarantineId;
}

describe('dashboard', () => {
  let w: WebSite;
  before(async () => {
    w = await webSite();
    await makeUser(w, 'ada', ['admin']);
    await makeUser(w, 'bob', ['admin']);
    await makeUser(w, 'sue', ['supervisor']);
    await makeUser(w, 'dora', ['dpo']);
    await makeUser(w, 'aud', ['auditor']);
  });
  after(async () => {
    await w.close();
  });

  test('permissions: anonymous is sent to sign in; every role sees the dashboard; only admins act on quarantine', async () => {
    const anon = browser(w);
    const r = await anon.get('/');
    assert.equal(r.status, 303);
    assert.match(r.headers.get('location')!, /^\/login\?next=/);
    const hx = await anon.get('/', { 'HX-Request': 'true' });
    assert.equal(hx.status, 401);
    assert.match(hx.headers.get('HX-Redirect') ?? '', /^\/login/);

    for (const [user, mayManage] of [['ada', true], ['sue', false], ['dora', false], ['aud', false]] as const) {
      const b = browser(w);
      assert.equal((await b.login(user)).status, 303);
      const page = await b.get('/');
      assert.equal(page.status, 200, user);
      const before = logged(w, 'access.denied').length;
      const retry = await b.post('/quarantine/01ZZZZZZZZZZZZZZZZZZZZZZZZ/retry');
      const discard = await b.post('/quarantine/01ZZZZZZZZZZZZZZZZZZZZZZZZ/discard', { reason: 'junk' });
      if (mayManage) {
        assert.equal(retry.status, 404, `${user} retry`);
        assert.equal(discard.status, 404, `${user} discard`);
      } else {
        assert.equal(retry.status, 403, `${user} retry`);
        assert.equal(discard.status, 403, `${user} discard`);
        const denied = logged(w, 'access.denied').slice(before);
        assert.equal(denied.length, 2);
        assert.ok(denied.every((e) => e.actor === `user:${user}` && e.detail.needs === 'quarantine.manage'));
      }
    }
  });

  test('a quarantined file shows its reason, time and size, never its name; htmx polls a fragment', async () => {
    const qid = await quarantineRandom(w, 1);
    const row = listQuarantine(w.site.store).find((q) => q.id === qid)!;
    const b = browser(w);
    await b.login('sue');
    const res = await b.get('/');
    const body = await res.text();
    assert.match(body, new RegExp(`<code>${row.code}</code>`));
    assert.ok(body.includes(row.message.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;')), 'reason shown');
    assert.ok(body.includes(`id="q-${qid}"`));
    assert.ok(!body.includes(PHONE), 'no phone number on the page');
    assert.ok(!body.includes('1732700100'), 'no file name on the page');
    // a supervisor sees the list but no action buttons
    assert.ok(!body.includes(`/quarantine/${qid}/retry`));
    assert.match(body, /hx-get="\/" hx-trigger="every 10s" hx-target="this" hx-swap="outerHTML"/);
    assert.ok(!/<script(?![^>]*src=)/.test(body), 'no inline script');
    assert.ok(!body.includes('hx-on'), 'no hx-on');
    assert.match(body, /not enough data/, 'a fresh archive has no growth forecast');

    const frag = await (await b.get('/', { 'HX-Request': 'true' })).text();
    assert.ok(frag.startsWith('<section id="live"'), frag.slice(0, 80));
    assert.ok(!frag.includes('<html'));
    assert.match(frag, /data-k="quarantined">1</);

    // a history restore wants the whole page
    const restore = await (await b.get('/', { 'HX-Request': 'true', 'HX-History-Restore-Request': 'true' })).text();
    assert.ok(restore.includes('<html'));

    // German labels
    const de = browser(w);
    await de.login('sue');
    const deBody = await (await de.get('/', { Cookie: `${de.cookie}; tresor_lang=de` })).text();
    assert.match(deBody, /Übersicht/);
    assert.match(deBody, /Quarantäne/);

    const admin = browser(w);
    await admin.login('ada');
    const adminBody = await (await admin.get('/')).text();
    assert.ok(adminBody.includes(`action="/quarantine/${qid}/retry"`));
    assert.match(adminBody, new RegExp(`<label for="reason-${qid}">`));
  });

  test('counts, last ingest, checkpoint and rates after a real ingest', async () => {
    await w.ingestCall(nameOf(40));
    await w.site.log.checkpointNow();
    const b = browser(w);
    await b.login('aud');
    const frag = await (await b.get('/', { 'HX-Request': 'true' })).text();
    assert.match(frag, /data-k="last-hour">1</);
    assert.match(frag, /data-k="last-day">1</);
    assert.match(frag, /data-k="last-ingest"/);
    assert.match(frag, /data-k="checkpoint-size">\d+ entries</);
    assert.match(frag, /data-k="disk-free">/);
  });

  test('retry of a still-broken file leaves exactly one quarantine entry (same id, one more attempt)', async () => {
    const qid = await quarantineRandom(w, 2);
    const before = listQuarantine(w.site.store).length;
    const b = browser(w);
    await b.login('ada');
    const r = await b.post(`/quarantine/${qid}/retry`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/?done=retry-quarantined');
    const rows = listQuarantine(w.site.store);
    assert.equal(rows.length, before);
    const row = rows.find((q) => q.id === qid)!;
    assert.ok(row, 'the same id stays');
    assert.equal(row.attempts, 2);
    assert.deepEqual(readdirSync(quarantineDir(w.config.dataDir)).sort(), rows.map((q) => q.id).sort(), 'no stray folder');
    const e = logged(w, 'quarantine.retried').at(-1)!;
    assert.equal(e.target, `quarantine:${qid}`);
    assert.equal(e.actor, 'user:ada');
    assert.equal(e.detail.outcome, 'quarantined');
    assert.ok(!JSON.stringify(e).includes(PHONE));
    assert.deepEqual(readdirSync(join(w.config.dataDir, 'tmp')), [], 'temporary copy removed');
    // the same bytes dropped again are still recognised as the quarantined file
    assert.equal(w.site.store.bySha.get(`q:${row.sourceSha256}`), qid);
    const page = await (await b.get('/?done=retry-quarantined')).text();
    assert.match(page, /Retry failed/);
  });

  test('retry of a file that timed out under load archives it and removes the entry', async () => {
    const qid = await quarantineTimedOut(w, 3);
    const recordings = w.site.store.recordings.getCount();
    const b = browser(w);
    await b.login('bob');
    const r = await b.post(`/quarantine/${qid}/retry`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/?done=retry-archived');
    assert.equal(w.site.store.quarantine.get(qid), undefined);
    assert.equal(w.site.store.keys.get(`q:${qid}`), undefined);
    assert.ok(!existsSync(join(quarantineDir(w.config.dataDir), qid)));
    assert.equal(w.site.store.recordings.getCount(), recordings + 1);
    const e = logged(w, 'quarantine.retried').at(-1)!;
    assert.equal(e.detail.outcome, 'archived');
    const recId = String(e.detail.recording).replace('recording:', '');
    const ingested = logged(w, 'recording.ingested').at(-1)!;
    assert.equal(ingested.target, `recording:${recId}`);
    assert.equal(ingested.actor, 'user:bob');
    assert.deepEqual(readdirSync(join(w.config.dataDir, 'tmp')), []);
    // retrying a gone entry is a clear 404
    assert.equal((await b.post(`/quarantine/${qid}/retry`)).status, 404);
  });

  test('discard is four-eyes: the requester cannot approve; a second person can; nothing goes before that', async () => {
    const qid = await quarantineRandom(w, 4);
    const dir = join(quarantineDir(w.config.dataDir), qid);
    const ada = browser(w);
    await ada.login('ada');
    assert.equal((await ada.post(`/quarantine/${qid}/discard`, { reason: '  ' })).status, 400, 'a reason is required');
    const r = await ada.post(`/quarantine/${qid}/discard`, { reason: 'test noise from the PBX vendor' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/?done=discard-requested');
    assert.ok(existsSync(dir), 'nothing deleted on one person\'s say');
    const again = await ada.post(`/quarantine/${qid}/discard`, { reason: 'twice' });
    assert.equal(again.status, 409, 'one pending request per file (E_CONFLICT, as on /holds and for a selection)');
    const dash = await (await ada.get('/')).text();
    assert.match(dash, /Discard requested by user:ada/);

    const approvals = await (await ada.get('/approvals')).text();
    const id = /id="a-([0-9A-Z]{26})"/.exec(approvals)![1]!;
    assert.match(approvals, /Your own request/);
    assert.ok(!approvals.includes(`action="/approvals/${id}/decide"`), 'no approve button for the requester');
    const own = await ada.post(`/approvals/${id}/decide`, { decision: 'approve' });
    assert.equal(own.status, 403);
    assert.match(await own.text(), /second, different person/);
    assert.ok(existsSync(dir));
    assert.equal(logged(w, 'approval.refused').at(-1)!.detail.why, 'own-request');

    const sue = browser(w);
    await sue.login('sue');
    assert.equal((await sue.post(`/approvals/${id}/decide`, { decision: 'approve' })).status, 403);
    assert.ok(existsSync(dir));

    const dora = browser(w);
    await dora.login('dora');
    const page = await (await dora.get('/approvals')).text();
    assert.ok(page.includes(`action="/approvals/${id}/decide"`));
    assert.match(page, /test noise from the PBX vendor/);
    const ok = await dora.post(`/approvals/${id}/decide`, { decision: 'approve', note: 'checked: not a call' });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.get('location'), '/approvals?done=approved');
    assert.ok(!existsSync(dir), 'folder gone');
    assert.equal(w.site.store.quarantine.get(qid), undefined);
    assert.equal(w.site.store.keys.get(`q:${qid}`), undefined);
    const d = logged(w, 'quarantine.discarded').at(-1)!;
    assert.equal(d.target, `quarantine:${qid}`);
    assert.equal(d.actor, 'user:dora');
    assert.equal(d.detail.requestedBy, 'user:ada');
    assert.ok(!JSON.stringify(w.site.log.about('target', `quarantine:${qid}`, 100)).includes('test noise'), 'reasons stay out of the log');
    const twice = await dora.post(`/approvals/${id}/decide`, { decision: 'approve' });
    assert.equal(twice.status, 409);
    const run = await dora.post(`/approvals/${id}/run`);
    assert.equal(run.status, 409, 'carried out once only');
  });

  test('an expired discard request cannot be approved', async () => {
    const qid = await quarantineRandom(w, 5);
    const old = Date.now() - 8 * 86_400_000;
    const a = await requestApproval(w.site.store, w.site.log, {
      kind: 'quarantine.discard', target: `quarantine:${qid}`, by: 'user:ada', person: 'ada', reason: 'old', payload: { quarantineId: qid }, now: old,
    });
    const dora = browser(w);
    await dora.login('dora');
    assert.ok(!(await (await dora.get('/approvals')).text()).includes(a.id), 'expired requests are not listed as pending');
    const r = await dora.post(`/approvals/${a.id}/decide`, { decision: 'approve' });
    assert.equal(r.status, 409);
    assert.match(await r.text(), /expired/);
    assert.ok(w.site.store.quarantine.get(qid));
    assert.equal(logged(w, 'approval.expired').at(-1)!.target, `quarantine:${qid}`);
  });

  test('metrics carry counts only', async () => {
    const text = await (await w.app.request('/metrics')).text();
    assert.match(text, /^tresor_data_free_bytes \d+$/m);
    assert.match(text, /^tresor_last_ingest_timestamp_seconds \d+\.\d+$/m);
    assert.match(text, /^tresor_log_checkpoint_size \d+$/m);
    assert.match(text, /^tresor_sessions \d+$/m);
    assert.match(text, /^tresor_quarantined \d+$/m);
    assert.ok(!/[0-9A-HJKMNP-TV-Z]{26}/.test(text), 'no ids');
    assert.ok(!text.includes(PHONE));
  });
});

test('growth forecast: not enough data under a day, days left from the 7-day rate', () => {
  const GiB = 1024 ** 3;
  assert.equal(estimateGrowth({ bytes: GiB, windowMs: 3600_000, freeBytes: 100 * GiB, reserveBytes: 0 }).daysLeft, null);
  assert.equal(estimateGrowth({ bytes: GiB, windowMs: 3600_000, freeBytes: 100 * GiB, reserveBytes: 0 }).bytesPerDay, null);
  const g = estimateGrowth({ bytes: 7 * GiB, windowMs: 7 * 86_400_000, freeBytes: 101 * GiB, reserveBytes: GiB });
  assert.equal(g.bytesPerDay, GiB);
  assert.equal(g.daysLeft, 100);
  assert.equal(estimateGrowth({ bytes: 0, windowMs: 7 * 86_400_000, freeBytes: GiB, reserveBytes: 0 }).daysLeft, null, 'no growth: no forecast');
});

test('the live fragment lists each deferred file once, by reference, with its reason', () => {
  const live: LiveData = {
    scannerRunning: true, queued: 0, active: 0, lastHour: 0, lastDay: 0, lastIngestAt: null, total: 0, disk: null,
    growth: { bytesPerDay: null, windowDays: 0, daysLeft: null }, checkpoint: null, logSize: 0, rejected: [],
    deferred: [{ code: 'E_DISK_FULL', ref: '52d006101db0', message: 'the data disk is nearly full', since: Date.parse('2026-11-27T10:00:00Z') }],
    quarantined: 0, pendingApprovals: 0,
  };
  const html = String(liveFragment({ t: translator('en'), lang: 'en', principal: null, may: () => false, csrf: '', path: '/' }, live));
  const table = /<table aria-labelledby="waiting-h" id="deferred">[\s\S]*?<\/table>/.exec(html)![0];
  assert.equal((table.match(/<tr>/g) ?? []).length, 2, 'a header and one row');
  assert.match(table, /<code>E_DISK_FULL<\/code>/);
  assert.match(table, /<code>52d006101db0<\/code>/);
  assert.match(table, /nearly full/);
});
