import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { cli } from './helpers/site.ts';
import { createApiToken } from '../src/auth/index.ts';
import { indexNameParts, queryNameParts } from '../src/core/index.ts';
import { reindexRecordings } from '../src/site/reindex.ts';
import type { LogEntry } from '../src/audit/index.ts';

// Issue 15 item 4 on real ingested calls: an agent is found by any part of the name in any
// case and with or without accents, by tag, purpose and customer id; the index and the log
// hold keyed tokens only; FreePBX calls get their agent from the extension directory.

const NOISE = { seconds: 2, source: 'noise' } as const;

test_parts();
function test_parts() {
  it('folds name parts: case, accents, ß and the German ue spelling meet', () => {
    assert.deepEqual(indexNameParts('Anna Müller-Lüdenscheidt'), ['anna', 'muller', 'mueller', 'ludenscheidt', 'luedenscheidt']);
    assert.deepEqual(queryNameParts('  MÜLLER '), ['muller']);
    assert.deepEqual(queryNameParts('Mueller'), ['mueller']);
    assert.deepEqual(queryNameParts('weiß'), ['weiss']);
    assert.deepEqual(queryNameParts('José'), ['jose']);
    assert.deepEqual(queryNameParts('-- ,'), []);
  });
}

describe('search by agent name part, tag, purpose and customer id', () => {
  let w: WebSite;
  const ids = {} as Record<'anna' | 'joerg' | 'annaSchmidt' | 'byConfig' | 'threecx', string>;
  let supervisor = '';
  let admin = '';

  const entriesSince = (from: number): LogEntry[] => w.site.log.entries(from, w.site.log.size());
  const api = async (query: string, token = supervisor) => {
    const res = await w.app.request(`/api/recordings?${query}`, { headers: { Host: 'tresor.test', Authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { items: { id: string; agent: string | null }[]; error?: unknown } };
  };
  const found = async (query: string) => (await api(query)).body.items.map((i) => i.id).sort();

  before(async () => {
    w = await webSite((c) => {
      c.directory.extensions = { 202: 'Björn Østergaard' };
    });
    await makeUser(w, 'sup', ['supervisor']);
    await makeUser(w, 'adm', ['admin']);
    supervisor = (await createApiToken(w.site.store, w.site.log, 'cli:test', 'sup', 't')).token;
    admin = (await createApiToken(w.site.store, w.site.log, 'cli:test', 'adm', 't')).token;
    ids.anna = await w.ingestCall('in-4930123456-015112345678-20261127-142501-1764250000.1.wav', NOISE,
      { agent: 'Anna Müller', tags: ['complaint', 'vip'], purpose: 'quality', customerId: ' K-4711 ' });
    ids.joerg = await w.ingestCall('in-4930123456-015112345679-20261127-150000-1764250000.2.wav', NOISE,
      { agent: 'Jörg Weiß', tags: ['vip'], purpose: 'training' });
    ids.annaSchmidt = await w.ingestCall('out-015112345670-203-20261127-160000-1764250000.3.wav', NOISE, { agent: 'anna schmidt' });
    // FreePBX: only the extension; the settings' directory names the agent
    ids.byConfig = await w.ingestCall('in-202-015112345671-20261127-170000-1764250000.4.wav', NOISE);
    // 3CX inbound: the bracket is the customer, the agent is extension 201 (not in the directory yet)
    ids.threecx = await w.ingestCall('[Erika Kundin]_+4915112345672-201_20261127180000(9).wav', NOISE);
  });
  after(() => w?.close());

  it('finds an agent by first or last name in any case, with or without accents, every typed part required', async () => {
    for (const q of ['muller', 'MÜLLER', 'Müller', 'MUELLER', 'mueller']) assert.deepEqual(await found(`agent=${encodeURIComponent(q)}`), [ids.anna], q);
    assert.deepEqual(await found('agent=ANNA'), [ids.anna, ids.annaSchmidt].sort());
    assert.deepEqual(await found(`agent=${encodeURIComponent('anna müller')}`), [ids.anna]);
    assert.deepEqual(await found(`agent=${encodeURIComponent('müller anna')}`), [ids.anna], 'order does not matter');
    assert.deepEqual(await found(`agent=${encodeURIComponent('anna weiß')}`), [], 'parts of two people are no one');
    for (const q of ['weiss', 'Weiß', 'jorg', 'JOERG']) assert.deepEqual(await found(`agent=${encodeURIComponent(q)}`), [ids.joerg], q);
    assert.deepEqual(await found('agent=mull'), [], 'whole parts only: a prefix is no name');
  });

  it('finds calls by tag, purpose and customer id (trimmed like ingest), and combines filters', async () => {
    assert.deepEqual(await found('tag=vip'), [ids.anna, ids.joerg].sort());
    assert.deepEqual(await found('tag=complaint'), [ids.anna]);
    assert.deepEqual(await found('purpose=training'), [ids.joerg]);
    assert.deepEqual(await found('tag=vip&purpose=quality'), [ids.anna]);
    assert.deepEqual(await found('customerId=K-4711'), [ids.anna]);
    assert.deepEqual(await found(`customerId=${encodeURIComponent('  K-4711')}`), [ids.anna]);
    assert.deepEqual(await found('customerId=K-4712'), []);
    assert.deepEqual(await found('tag=vip&agent=weiss'), [ids.joerg]);
  });

  it('logs searches with tokens only: no name, no customer id; people lookups need the personal-data role', async () => {
    const from = w.site.log.size();
    await api(`agent=${encodeURIComponent('Anna Müller')}&customerId=K-4711&tag=vip`);
    const e = entriesSince(from).find((x) => x.action === 'recording.searched')!;
    const filters = e.detail.filters as Record<string, unknown>;
    assert.equal((filters.agentNameTokens as string[]).length, 2);
    assert.match(String(filters.customerToken), /^[0-9a-f]{16}$/);
    assert.equal(filters.tag, 'vip', 'a tag is no personal data');
    const line = JSON.stringify(e).toLowerCase();
    for (const s of ['anna', 'müller', 'muller', 'k-4711']) assert.ok(!line.includes(s), `${s} in the log entry`);
    // the index holds tokens of the parts, never the name
    const row = w.site.store.recordings.get(ids.anna)!;
    assert.ok(row.tokens.filter((t) => t.kind === 'agentName').length >= 3);
    assert.ok(!JSON.stringify(row.tokens).toLowerCase().includes('muller'));
    // an admin sees no personal data: a search by name or customer id is refused and logged
    for (const q of ['agent=anna', 'customerId=K-4711']) assert.equal((await api(q, admin)).status, 403, q);
    assert.equal((await api('tag=vip', admin)).status, 200, 'a tag search is no lookup of a person');
  });

  it('names the agent of a FreePBX call from the directory (settings and console), and the 3CX caller is not the agent', async () => {
    assert.deepEqual(await found('agent=ostergaard'), [ids.byConfig]);
    assert.equal((await api('agent=bjorn')).body.items[0]?.agent, 'Björn Østergaard');
    assert.deepEqual(await found('agent=erika'), [], "the 3CX caller's name is no agent");
    assert.deepEqual(await found('agent=kundin'), []);

    // Admin → Extensions: add 201; the log names the extension, the index holds the name sealed
    const b = browser(w);
    assert.equal((await b.login('adm')).status, 303);
    const from = w.site.log.size();
    const saved = await b.post('/admin/extensions', { extension: '201', name: 'Zoë Brandt' });
    assert.equal(saved.status, 303);
    const page = await (await b.get('/admin/extensions?done=saved')).text();
    assert.match(page, /Zoë Brandt/);
    assert.match(page, /Björn Østergaard/);
    const stored = w.site.store.extensions.get('201')!;
    assert.ok(stored.name.startsWith('s1.') && !stored.name.includes('Brandt'), 'sealed at rest');
    const logged = entriesSince(from);
    assert.deepEqual(logged.map((x) => [x.action, x.target]), [['directory.extension.added', 'extension:201']]);
    assert.ok(!JSON.stringify(logged).includes('Brandt'));
    const bad = await b.post('/admin/extensions', { extension: '20a', name: 'X' });
    assert.equal(bad.status, 400);

    const later = await w.ingestCall('[Erika Kundin]_+4915112345672-201_20261127190000(10).wav', NOISE);
    assert.deepEqual(await found('agent=brandt'), [later], 'new calls get the name; the older one keeps none');
    // a sidecar's agent wins over the directory
    const own = await w.ingestCall('in-201-015112345673-20261127-200000-1764250000.5.wav', NOISE, { agent: 'Karl Sidecar' });
    assert.deepEqual(await found('agent=karl'), [own]);
    assert.ok(!(await found('agent=brandt')).includes(own));

    // a supervisor may not edit the directory; removing a settings entry says where it lives
    const s = browser(w);
    assert.equal((await s.login('sup')).status, 303);
    assert.equal((await s.post('/admin/extensions', { extension: '205', name: 'Y' })).status, 403);
    const cfg = await b.post('/admin/extensions/202/remove');
    assert.equal(cfg.status, 404);
    assert.match(await cfg.text(), /settings file/);
    assert.equal((await b.post('/admin/extensions/201/remove')).status, 303);
    assert.equal(w.site.store.extensions.get('201'), undefined);
  });

  it('reindex gives calls from before this version their name parts, logged, and is safe to repeat', async () => {
    // a row as older versions wrote it: only the whole-name token
    const row = w.site.store.recordings.get(ids.joerg)!;
    await w.site.store.tx(() => w.site.store.recordings.rectify(ids.joerg, row.personal, row.tokens.filter((t) => t.kind !== 'agentName')));
    assert.deepEqual(await found('agent=weiss'), []);
    const from = w.site.log.size();
    const r = await reindexRecordings({ store: w.site.store, keys: w.site.keys, log: w.site.log }, 'cli:test');
    assert.equal(r.updated, 1);
    assert.equal(r.recordings, w.site.store.recordings.count());
    assert.deepEqual(entriesSince(from).map((e) => e.action), ['index.reindex.started', 'index.reindexed']);
    assert.deepEqual(await found('agent=weiss'), [ids.joerg]);
    const again = await reindexRecordings({ store: w.site.store, keys: w.site.keys, log: w.site.log }, 'cli:test');
    assert.equal(again.updated, 0);
    assert.deepEqual(await found('agent=weiss'), [ids.joerg]);
  });

  it('console form and tresor list take the same filters', async () => {
    const b = browser(w);
    await b.login('sup');
    const html = await (await b.get(`/recordings?agent=${encodeURIComponent('MÜLLER')}`)).text();
    assert.match(html, new RegExp(`/recordings/${ids.anna}`));
    assert.doesNotMatch(html, new RegExp(`/recordings/${ids.joerg}`));
    for (const name of ['customerId', 'tag', 'purpose']) assert.match(html, new RegExp(`name="${name}"`));
    const de = await (await b.get('/recordings?tag=vip', { 'Accept-Language': 'de' })).text();
    assert.match(de, /Schlagwort/);

    const list = await cli(w.config, ['list', '--json', '--agent', 'mueller', '--tag', 'vip']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { id: string }[]).map((x) => x.id), [ids.anna]);
    const byCustomer = await cli(w.config, ['list', '--json', '--customer-id', 'K-4711']);
    assert.deepEqual((JSON.parse(byCustomer.stdout) as { id: string }[]).map((x) => x.id), [ids.anna]);
    const re = await cli(w.config, ['reindex', '--json']);
    assert.equal(re.code, 0, re.stderr);
    assert.equal(JSON.parse(re.stdout).updated, 0);
  });
});
