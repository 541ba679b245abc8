import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { cli } from './helpers/site.ts';
import { createApiToken } from '../src/auth/index.ts';
import { openRequest, packageDir, packageZipPath, verifyIdentity, type PrivacyDeps } from '../src/privacy/index.ts';

// Issue 11 item 3, the DPO's review before release (Art. 15(4)), on real ingested calls
// and a real socket: a withheld call is missing from the released package and counted in
// the cover letter; the log has the exclusion, the release and the download with ids and
// codes only (no number, no name, no note); the ZIP opens with 7-Zip and the password
// shown once, and not without it; WAV copies come when asked; colleagues' names are not in
// the metadata; an unverified request gets no package.

const HAS_7Z = spawnSync('7z', ['i']).error === undefined;
const HAS_FFPROBE = spawnSync('ffprobe', ['-version']).error === undefined;
const DAY = 86_400_000;
const CALLER = '015120000077';
const DIGITS = '20000077';
const AGENT = 'Erika Mustermann';
const NOTE = 'Nachbar Hans Krause spricht mit';
function name(daysAgo: number, n: number): string {
  const d = new Date(Date.now() - daysAgo * DAY);
  const p = (x: number) => String(x).padStart(2, '0');
  return `in-4930123456-${CALLER}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-101500-17642566${p(n)}.${n}.wav`;
}

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tresor-pkgreview-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** the entry names of a ZIP, from its central directory (signature PK\\1\\2, APPNOTE 4.3.12) */
function zipNames(path: string): string[] {
  const b = readFileSync(path);
  const out: string[] = [];
  for (let i = b.lastIndexOf(Buffer.from('PK\x05\x06')), at = b.readUInt32LE(i + 16), n = b.readUInt16LE(i + 10); n > 0; n--) {
    const len = b.readUInt16LE(at + 28);
    out.push(b.subarray(at + 46, at + 46 + len).toString('utf8'));
    at += 46 + len + b.readUInt16LE(at + 30) + b.readUInt16LE(at + 32);
  }
  return out;
}

/** every file below dir, relative */
function walk(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(dir, rel ? `${rel}/${e.name}` : e.name) : [rel ? `${rel}/${e.name}` : e.name]));
}

describe('access package: review, exclusion, release, ZIP (Art. 15(4))', () => {
  let w: WebSite;
  let deps: PrivacyDeps;
  let server: ServerType;
  let url = '';
  const ids: string[] = [];
  const tok: Record<'dora' | 'sue', string> = { dora: '', sue: '' };
  const api = (who: keyof typeof tok, method: 'GET' | 'POST', path: string, body?: unknown) => fetch(`${url}${path}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { Authorization: `Bearer ${tok[who]}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
  });
  const newRequest = async (verified: boolean) => {
    const r = await openRequest(deps, 'user:dora', { kind: 'access', number: `+49${CALLER.slice(1)}`, channel: 'letter' });
    if (verified) await verifyIdentity(deps, 'user:dora', r.id, { method: 'id card' });
    return r.id;
  };

  before(async () => {
    w = await webSite((c) => { c.privacy.controller = { name: 'Musterfirma GmbH', address: 'Hauptstraße 1, Berlin', email: 'info@muster.example' }; });
    deps = { store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone };
    for (const [n, roles] of [['dora', ['dpo']], ['sue', ['supervisor']]] as const) {
      await makeUser(w, n, [...roles]);
      tok[n] = (await createApiToken(w.site.store, w.site.log, 'cli:test', n, 't')).token;
    }
    for (let i = 1; i <= 3; i++) ids.push(await w.ingestCall(name(i, i), { seconds: 2, source: 'noise' }, { agent: AGENT }));
    ids.sort();
    server = await new Promise<ServerType>((r) => {
      const s = serve({ fetch: w.app.fetch, hostname: '127.0.0.1', port: 0 }, () => r(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (server) await new Promise((r) => server.close(r));
    await w?.close();
  });

  it('console: withhold one call, release with WAV and password, download the ZIP over HTTP', async () => {
    const b = browser(w);
    assert.equal((await b.login('dora')).status, 303);
    const en = { 'Accept-Language': 'en' };

    // not verified: no package section to work with, and a release is refused, nothing written
    const early = await newRequest(false);
    assert.match(await (await b.get(`/privacy/requests/${early}`, en)).text(), /id="package-not-ready"/);
    const refused = await b.post(`/privacy/requests/${early}/package/release`, { protect: '1' }, en);
    assert.equal(refused.status, 409);
    assert.match(await refused.text(), /id="package-error"[^>]*>[^<]*needs the identity verified first/);
    assert.equal(existsSync(packageDir(w.config.dataDir, early)), false);

    const id = await newRequest(true);
    const page = await (await b.get(`/privacy/requests/${id}`, en)).text();
    for (const c of ids) assert.match(page, new RegExp(`data-call="${c}"`), c);
    assert.match(page, /id="package-release"/);

    const ex = await b.post(`/privacy/requests/${id}/package/exclude`, { callId: ids[1]!, reason: 'third-party-data', note: NOTE }, en);
    assert.equal(ex.status, 303, await ex.clone().text());
    const again = await b.post(`/privacy/requests/${id}/package/exclude`, { callId: ids[1]!, reason: 'third-party-data' }, en);
    assert.equal(again.status, 409);
    const badReason = await b.post(`/privacy/requests/${id}/package/exclude`, { callId: ids[0]!, reason: 'dislike' }, en);
    assert.equal(badReason.status, 400);
    assert.match(await (await b.get(`/privacy/requests/${id}`, en)).text(), new RegExp(`data-call="${ids[1]}" class="excluded"[\\s\\S]*?withheld: personal data of others`));

    const rel = await b.post(`/privacy/requests/${id}/package/release`, { wav: '1', protect: '1' }, en);
    assert.equal(rel.status, 200);
    assert.equal(rel.headers.get('Cache-Control'), 'no-store');
    const relPage = await rel.text();
    const pw = /id="package-password">([^<]+)</.exec(relPage)?.[1];
    assert.ok(pw && pw.length === 20, 'the password is on the release page');
    assert.match(relPage, /id="package-released">[^<]*2 call\(s\), 1 withheld/);
    // shown once: not on the page later, nowhere in the register or the log
    assert.doesNotMatch(await (await b.get(`/privacy/requests/${id}`, en)).text(), new RegExp(pw));
    assert.doesNotMatch(JSON.stringify(w.site.store.requests.get(id)), new RegExp(pw));
    assert.doesNotMatch(JSON.stringify(w.site.log.entries(0, w.site.log.size())), new RegExp(pw));
    // once released, no second release, no more exclusions
    assert.equal((await b.post(`/privacy/requests/${id}/package/release`, {}, en)).status, 409);
    assert.equal((await b.post(`/privacy/requests/${id}/package/exclude`, { callId: ids[0]!, reason: 'other-rights' }, en)).status, 409);

    // the ZIP over a real socket, with the console's cookie
    const z = await fetch(`${url}/privacy/requests/${id}/package.zip`, { headers: { Cookie: b.cookie } });
    assert.equal(z.status, 200);
    assert.equal(z.headers.get('Content-Type'), 'application/zip');
    const work = tempDir();
    const zipPath = join(work, 'p.zip');
    writeFileSync(zipPath, Buffer.from(await z.arrayBuffer()));
    const sup = browser(w);
    await sup.login('sue');
    assert.equal((await sup.get(`/privacy/requests/${id}/package.zip`)).status, 403, 'a supervisor gets no package');

    if (!HAS_7Z) return;
    const wrong = spawnSync('7z', ['x', '-y', '-p', `-o${join(work, 'nopw')}`, zipPath], { encoding: 'utf8', input: '' });
    assert.notEqual(wrong.status, 0, 'no password: 7-Zip cannot open it');
    const ok = spawnSync('7z', ['x', '-y', `-p${pw}`, `-o${join(work, 'x')}`, zipPath], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const root = join(work, 'x', `package-${id}`);
    const files = walk(root);
    for (const c of [ids[0]!, ids[2]!]) {
      assert.ok(files.includes(`calls/${c}.ogg`), c);
      assert.ok(files.includes(`calls/${c}.wav`), `${c}: the WAV asked for`);
    }
    assert.deepEqual(files.filter((f) => f.includes(ids[1]!)), [], 'the withheld call is not in the package');
    if (HAS_FFPROBE) {
      const p = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate', '-of', 'csv=p=0', join(root, 'calls', `${ids[0]}.wav`)], { encoding: 'utf8' });
      assert.equal(p.status, 0, p.stderr);
      assert.match(p.stdout.trim(), /^pcm_s16le,8000$/);
    }
    const callsJson = readFileSync(join(root, 'calls.json'), 'utf8');
    const calls = JSON.parse(callsJson) as { id: string; agent: string | null }[];
    assert.deepEqual(calls.map((c) => c.id), [ids[0], ids[2]]);
    assert.deepEqual(calls.map((c) => c.agent), ['agent', 'agent'], 'a role, not the colleague');
    for (const f of files.filter((x) => /\.(json|csv|html)$/.test(x))) assert.doesNotMatch(readFileSync(join(root, f), 'utf8'), /Erika|Mustermann|Nachbar/, f);
    const letter = readFileSync(join(root, 'cover-letter.html'), 'utf8');
    assert.match(letter, /1 call\(s\) we hold about you are not enclosed[^<]*Art\. 15\(4\) GDPR\): personal data of other people in the call \(1\)/);
    assert.match(letter, /copies of the 2 recorded call/);
    const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { withheld: { reason: string; n: number }[] };
    assert.deepEqual(manifest.withheld, [{ reason: 'third-party-data', n: 1 }]);

    // the log: exclusion, release, download — ids and codes, no number, name or note
    const mine = w.site.log.entries(0, w.site.log.size()).filter((e) => e.target === `request:${id}`);
    const exc = mine.find((e) => e.action === 'request.package.excluded');
    assert.deepEqual([exc?.detail.call, exc?.detail.reason], [ids[1], 'third-party-data']);
    const released = mine.find((e) => e.action === 'request.package.released');
    assert.deepEqual([released?.detail.calls, released?.detail.withheld, released?.detail.wav, released?.detail.encrypted], [2, 1, true, true]);
    assert.ok(mine.some((e) => e.action === 'request.package.downloaded'), 'the download is a logged access');
    for (const e of mine) assert.doesNotMatch(JSON.stringify(e), new RegExp(`${DIGITS}|Erika|Nachbar|Krause`), e.action);
  });

  it('API: exclusions and release with bearer tokens, the plain ZIP, the role checks', async () => {
    const id = await newRequest(false);
    const early = await api('dora', 'POST', `/api/requests/${id}/package/release`, {});
    assert.equal(early.status, 409, 'not verified: no package');
    assert.equal((await api('dora', 'POST', `/api/requests/${id}/verify`, { method: 'passport' })).status, 200);
    assert.equal((await api('sue', 'POST', `/api/requests/${id}/package/exclusions`, { callId: ids[0], reason: 'trade-secret' })).status, 403);
    assert.equal((await api('dora', 'POST', `/api/requests/${id}/package/exclusions`, { callId: ids[0], reason: 'no' })).status, 400);
    assert.equal((await api('dora', 'POST', `/api/requests/${id}/package/exclusions`, { callId: '01JZZZZZZZZZZZZZZZZZZZZZZZ', reason: 'trade-secret' })).status, 400);
    const ex = await api('dora', 'POST', `/api/requests/${id}/package/exclusions`, { callId: ids[2], reason: 'trade-secret' });
    assert.equal(ex.status, 201, await ex.clone().text());
    const draft = (await ex.json()) as { calls: { id: string; excluded: { reason: string } | null }[] };
    assert.deepEqual(draft.calls.map((c) => c.excluded?.reason ?? null), [null, null, 'trade-secret']);
    assert.equal((await api('dora', 'POST', `/api/requests/${id}/package/release`, { password: 'mine' })).status, 400, 'a password is generated, never chosen');
    assert.equal((await api('dora', 'GET', `/api/requests/${id}/package.zip`)).status, 404, 'nothing to download before the release');

    const rel = await api('dora', 'POST', `/api/requests/${id}/package/release`, {});
    assert.equal(rel.status, 201, await rel.clone().text());
    const body = (await rel.json()) as { calls: string[]; withheld: number; files: { path: string }[]; zip: { href: string; encrypted: boolean }; password?: string };
    assert.deepEqual(body.calls, [ids[0], ids[1]]);
    assert.equal(body.withheld, 1);
    assert.equal(body.password, undefined);
    assert.equal(body.zip.encrypted, false);
    assert.equal(body.files.filter((f) => f.path.endsWith('.wav')).length, 0, 'no WAV unless asked');
    assert.ok(body.files.some((f) => f.path === 'calls.json'));

    assert.equal((await api('sue', 'GET', `/api/requests/${id}/package.zip`)).status, 403);
    const z = await api('dora', 'GET', body.zip.href);
    assert.equal(z.status, 200);
    const work = tempDir();
    writeFileSync(join(work, 'p.zip'), Buffer.from(await z.arrayBuffer()));
    if (!HAS_7Z) return;
    const x = spawnSync('7z', ['x', '-y', '-p', `-o${join(work, 'x')}`, join(work, 'p.zip')], { encoding: 'utf8', input: '' });
    assert.equal(x.status, 0, x.stdout + x.stderr);
    const letter = readFileSync(join(work, 'x', `package-${id}`, 'cover-letter.html'), 'utf8');
    assert.match(letter, /trade secrets or intellectual property of others \(recital 63\) \(1\)/);
  });

  it('CLI: --list, --exclude, then --out DIR --wav releases the rest and copies it', async () => {
    const id = await newRequest(true);
    const list = await cli(w.config, ['request', 'package', id, '--list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { calls: { id: string }[] }).calls.map((c) => c.id), ids);
    const ex = await cli(w.config, ['request', 'package', id, '--exclude', ids[0]!, '--reason', 'other-rights', '--note', NOTE]);
    assert.equal(ex.code, 0, ex.stderr);
    const out = join(tempDir(), 'pkg');
    const rel = await cli(w.config, ['request', 'package', id, '--out', out, '--wav']);
    assert.equal(rel.code, 0, rel.stderr);
    assert.match(rel.stderr, /package of 2 call\(s\) \(1 withheld, Art\. 15\(4\)\)/);
    const files = walk(out);
    assert.deepEqual(files.filter((f) => f.includes(ids[0]!)), []);
    for (const c of [ids[1]!, ids[2]!]) assert.ok(files.includes(`calls/${c}.wav`) && files.includes(`calls/${c}.ogg`), c);
    assert.deepEqual(walk(out).sort(), zipNames(packageZipPath(w.config.dataDir, id)).map((n) => n.replace(`package-${id}/`, '')).sort(), 'the copy is the released package');
    // delivered: the decrypted folder in the data directory is gone (the ZIP stays until the request closes)
    assert.equal(existsSync(packageDir(w.config.dataDir, id)), false);
    const again = await cli(w.config, ['request', 'package', id, '--out', join(tempDir(), 'pkg2')]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /released already/);
    const mine = w.site.log.entries(0, w.site.log.size()).filter((e) => e.target === `request:${id}`).map((e) => e.action);
    assert.ok(mine.includes('request.package.excluded') && mine.includes('request.package.released'), mine.join(' '));
  });
});
