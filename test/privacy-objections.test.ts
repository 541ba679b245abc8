import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webSite, makeUser, type WebSite } from './helpers/web.ts';
import { makeAudio } from './helpers/audio.ts';
import { createApiToken } from '../src/auth/index.ts';
import { addObjection, liftRestriction, rectifyRecording, restrictRecording, objectsTo, removeObjection, tokensOfIdentifiers, normaliseIdentifiers, type PrivacyDeps } from '../src/privacy/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import type { Config } from '../src/config/index.ts';

// The do-not-record register (issue 11 #5) on a real archive with real ffmpeg: a new call
// from an objecting number is refused at ingest — source destroyed, nothing in quarantine,
// nothing archived, `recording.refused` logged without the number; with
// privacy.objectionAtIngest "restrict" it is archived behind the Art. 18 barrier, which
// only a dpo giving a legal-claims reason passes (and the log says so).

const DAY = 86_400_000;
const OBJECTOR = '015120000777';

function freepbxName(n: number, from: string): string {
  const d = new Date(Date.now() - DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${from}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642599${p(n)}.${n}.wav`;
}

async function setup(mode: Config['privacy']['objectionAtIngest']) {
  const w = await webSite((c) => { c.privacy.objectionAtIngest = mode; });
  const deps: PrivacyDeps = { store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone };
  const ingest = createIngest({
    config: { ...w.config, ingest: { ...w.config.ingest, disposition: 'delete' } }, store: w.site.store, keys: w.site.keys,
    archive: w.archive, log: w.site.log, media: w.media, gates: ingestGates(w.config, w.site),
  });
  const dir = mkdtempSync(join(tmpdir(), 'tresor-inbox-'));
  let seed = 100;
  const drop = async (name: string, sidecar?: Record<string, unknown>) => {
    const path = await makeAudio(dir, name, { format: 'wav-pcm8k', seconds: 2, seed: seed++, source: 'noise' });
    let side: string | null = null;
    if (sidecar) writeFileSync((side = path.replace(/\.wav$/, '.json')), JSON.stringify(sidecar));
    return { path, side, outcome: await ingest.ingestFile({ path, relPath: name, sidecarPath: side }) };
  };
  return { w, deps, drop };
}

describe('objection register: discard at ingest', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  before(async () => { s = await setup('discard'); });
  after(() => s?.w.close());

  it('refuses and destroys a new call from an objecting number; nothing archived or quarantined; the log holds no number', async () => {
    const { w, deps, drop } = s;
    const earlier = await w.ingestCall(freepbxName(1, OBJECTOR), { seconds: 2, source: 'noise' });
    const { row, existingCalls } = await addObjection(deps, 'user:dora', { number: '+49 151 2000 0777', scope: 'record' });
    assert.equal(existingCalls, 1, 'the earlier call is a DPO task');
    const rows = w.site.store.recordings.count();
    const q = w.site.store.quarantine.all().length;
    const size = w.site.log.size();
    const { path, side, outcome } = await drop(freepbxName(2, OBJECTOR), { customerId: 'CRM-1' });
    assert.deepEqual(outcome, { status: 'refused', reason: 'objection', gate: 'privacy.objection' });
    assert.equal(existsSync(path), false, 'source destroyed');
    assert.equal(existsSync(side!), false, 'sidecar destroyed');
    assert.equal(w.site.store.recordings.count(), rows);
    assert.equal(w.site.store.quarantine.all().length, q);
    const entries = w.site.log.entries(size, w.site.log.size());
    const refused = entries.filter((e) => e.action === 'recording.refused');
    assert.equal(refused.length, 1);
    assert.equal(refused[0]!.detail.reason, 'objection');
    assert.equal(refused[0]!.detail.gate, 'privacy.objection');
    assert.match(String(refused[0]!.detail.sourceSha256), /^[0-9a-f]{64}$/);
    const all = JSON.stringify(w.site.log.entries(0, w.site.log.size()));
    assert.ok(!all.includes('20000777'), 'the log holds the number');
    assert.ok(all.includes(`"objection:${row.id}"`));
    assert.ok(w.site.store.recordings.has(earlier), 'existing calls are not touched');

    // another number still archives; a removed objection lets the number through again
    assert.equal((await drop(freepbxName(3, '015120000888'))).outcome.status, 'archived');
    await removeObjection(deps, 'user:dora', row.id);
    assert.equal((await drop(freepbxName(4, OBJECTOR))).outcome.status, 'archived');
    const removed = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'objection.removed');
    assert.equal(removed.length, 1);
  });

  it('matches by customer id; objectsTo answers analytics apart from record', async () => {
    const { w, deps, drop } = s;
    await addObjection(deps, 'user:dora', { customerId: 'CRM-9', scope: 'record' });
    await addObjection(deps, 'user:dora', { customerId: 'CRM-A', scope: 'analytics' });
    assert.equal((await drop(freepbxName(5, '015120000999'), { customerId: 'CRM-9' })).outcome.status, 'refused');
    assert.equal((await drop(freepbxName(6, '015120000998'), { customerId: 'CRM-A' })).outcome.status, 'archived', 'analytics: archived');
    const a = tokensOfIdentifiers(w.site.keys, normaliseIdentifiers({ customerId: 'CRM-A' }, w.config.phone));
    assert.equal(objectsTo(deps, a, 'analytics'), true);
    assert.equal(objectsTo(deps, a, 'record'), false);
  });

  it('API: a dpo adds and lists objections; a supervisor may not', async () => {
    const { w } = s;
    await makeUser(w, 'dpo', ['dpo']);
    await makeUser(w, 'sup', ['supervisor']);
    const tok = { dpo: (await createApiToken(w.site.store, w.site.log, 'cli:test', 'dpo', 't')).token, sup: (await createApiToken(w.site.store, w.site.log, 'cli:test', 'sup', 't')).token };
    const api = (who: keyof typeof tok, path: string, body?: unknown) => w.app.request(path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Host: 'tresor.test', Authorization: `Bearer ${tok[who]}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const r = await api('dpo', '/api/objections', { number: '+49 30 555 1234', scope: 'record' });
    assert.equal(r.status, 201, await r.clone().text());
    const v = await r.json() as { id: string; scope: string; existingCalls: number; identifiers: string[] };
    assert.equal(v.scope, 'record');
    assert.equal(v.existingCalls, 0);
    assert.deepEqual(v.identifiers, ['phone']);
    assert.equal((await api('dpo', '/api/objections', { number: '+49 30 555 1234', scope: 'everything' })).status, 400);
    assert.equal((await api('sup', '/api/objections', { number: '+49 30 555 1234', scope: 'record' })).status, 403);
    const list = await (await api('dpo', '/api/objections')).json() as { items: { id: string }[] };
    assert.ok(list.items.some((i) => i.id === v.id));
    assert.ok(!JSON.stringify(list).includes('5551234'));
  });
});

describe('objection register: restrict at ingest', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  before(async () => { s = await setup('restrict'); });
  after(() => s?.w.close());

  it('archives the call restricted: the audio API refuses, a dpo with a legal-claims reason gets it and the log says so', async () => {
    const { w, deps, drop } = s;
    await addObjection(deps, 'user:dora', { number: OBJECTOR, scope: 'record' });
    const { outcome } = await drop(freepbxName(7, OBJECTOR));
    assert.equal(outcome.status, 'archived');
    const id = (outcome as { id: string }).id;
    assert.deepEqual(w.site.store.recordings.get(id)!.marks, ['restricted:objection']);
    await makeUser(w, 'dpo', ['dpo']);
    await makeUser(w, 'sup', ['supervisor']);
    const tok = { dpo: (await createApiToken(w.site.store, w.site.log, 'cli:test', 'dpo', 't')).token, sup: (await createApiToken(w.site.store, w.site.log, 'cli:test', 'sup', 't')).token };
    const get = (who: keyof typeof tok, path: string) => w.app.request(path, { headers: { Host: 'tresor.test', Authorization: `Bearer ${tok[who]}` } });
    const view = await (await get('sup', `/api/recordings/${id}`)).json() as { restricted?: string[] };
    assert.deepEqual(view.restricted, ['objection'], 'the view says restricted');
    const denied = await get('sup', `/api/recordings/${id}/audio`);
    assert.equal(denied.status, 403);
    assert.match(await denied.text(), /restricted under Art\. 18/);
    assert.equal((await get('dpo', `/api/recordings/${id}/audio`)).status, 403, 'a dpo without a reason is refused too');
    assert.equal((await get('sup', `/api/recordings/${id}/audio?legalClaims=case%2042`)).status, 403, 'only a dpo may give the reason');
    const ok = await get('dpo', `/api/recordings/${id}/audio?legalClaims=case%2042`);
    assert.equal(ok.status, 200);
    assert.ok((await ok.arrayBuffer()).byteLength > 0);
    const entries = w.site.log.entries(0, w.site.log.size()).filter((e) => e.target === `recording:${id}`);
    const played = entries.filter((e) => e.action === 'recording.played');
    assert.equal(played.length, 1);
    assert.equal(played[0]!.actor, 'token:' + played[0]!.actor.slice(6));
    assert.equal(played[0]!.detail.override, 'legal-claims');
    assert.equal(played[0]!.detail.legalClaims, 'case 42');
    assert.equal(entries.filter((e) => e.action === 'access.denied' && e.detail.reason === 'restricted').length, 3);
  });

  it('a DPO restricts a call by hand (Art. 18) and lifts it with the date the subject was told', async () => {
    const { w, deps } = s;
    const id = await w.ingestCall(freepbxName(8, '015120000555'), { seconds: 2, source: 'noise' });
    await restrictRecording(deps, 'user:dora', id, { reason: 'accuracy-contested' });
    await assert.rejects(w.access.readAudio({ kind: 'user', name: 'sam', actor: 'user:sam', roles: ['supervisor'] } as never, id, 'recording.downloaded'), /restricted under Art\. 18/);
    await assert.rejects(restrictRecording(deps, 'user:dora', id, { reason: 'whim' }), /reason must be one of/);
    await liftRestriction(deps, 'user:dora', id, { notifiedAt: Date.now() });
    const r = await w.access.readAudio({ kind: 'user', name: 'sam', actor: 'user:sam', roles: ['supervisor'] } as never, id, 'recording.downloaded');
    assert.ok(r.audio.length > 0);
    const mine = w.site.log.entries(0, w.site.log.size()).filter((e) => e.target === `recording:${id}`).map((e) => e.action);
    assert.deepEqual(mine.filter((a) => a.startsWith('recording.restrict')), ['recording.restricted', 'recording.restriction-lifted']);
    const lifted = w.site.log.entries(0, w.site.log.size()).find((e) => e.action === 'recording.restriction-lifted')!;
    assert.match(String(lifted.detail.notifiedAt), /^\d{4}-\d\d-\d\dT/);
  });

  it('rectification (Art. 16): search by the new number finds the call, the old one no longer; logged with field names only', async () => {
    const { w, deps } = s;
    const id = await w.ingestCall(freepbxName(9, '015120000444'), { seconds: 2, source: 'noise' });
    const sup = { kind: 'user', name: 'sam', actor: 'user:sam', roles: ['supervisor'] } as never;
    assert.deepEqual((await w.access.search(sup, { number: '+4915120000444' })).items.map((i) => i.id), [id]);
    const size = w.site.log.size();
    await rectifyRecording({ ...deps, keys: w.site.keys }, 'user:dora', id, { field: 'from', value: '0151 2000 0333', statement: 'the caller says the number was wrong' });
    assert.deepEqual((await w.access.search(sup, { number: '+4915120000444' })).items.map((i) => i.id), []);
    const found = (await w.access.search(sup, { number: '+4915120000333' })).items;
    assert.deepEqual(found.map((i) => i.id), [id]);
    assert.equal(found[0]!.from, '+4915120000333');
    const e = w.site.log.entries(size, size + 1)[0]!;
    assert.equal(e.action, 'recording.rectified');
    assert.deepEqual(e.detail.fields, ['from']);
    const all = JSON.stringify(w.site.log.entries(size, w.site.log.size()));
    assert.ok(!all.includes('20000333') && !all.includes('wrong'));
  });
});
