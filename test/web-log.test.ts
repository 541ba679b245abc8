import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tarHeader } from '../src/audit/tar.ts';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';

const NAME = (n: number) => `external-4930123456-201-20261127-1015${String(n).padStart(2, '0')}-1732700100.${n}.wav`;

describe('log viewer', () => {
  let w: WebSite;
  let rec1: string;
  let rec2: string;
  before(async () => {
    w = await webSite();
    for (const [n, r] of [['ada', 'admin'], ['sue', 'supervisor'], ['dora', 'dpo'], ['aud', 'auditor']] as const) await makeUser(w, n, [r]);
    rec1 = await w.ingestCall(NAME(1));
    rec2 = await w.ingestCall(NAME(2), { seconds: 5 });
    // some traffic on each
    await w.site.log.append([
      { actor: 'user:sue', action: 'recording.played', target: `recording:${rec1}`, detail: {} },
      { actor: 'user:dora', action: 'recording.played', target: `recording:${rec2}`, detail: {} },
      { actor: 'user:sue', action: 'recording.downloaded', target: `recording:${rec1}`, detail: { format: 'wav' } },
    ]);
  });
  after(async () => {
    await w.close();
  });

  test('permissions: log.read only (dpo, auditor); denials are logged; anonymous is sent to sign in', async () => {
    const anon = browser(w);
    for (const path of ['/log', '/log/export.tar']) {
      const r = await anon.get(path);
      assert.equal(r.status, 303, path);
      assert.match(r.headers.get('location')!, /^\/login/);
    }
    for (const [user, ok] of [['ada', false], ['sue', false], ['dora', true], ['aud', true]] as const) {
      const b = browser(w);
      await b.login(user);
      const before = w.site.log.size();
      const page = await b.get('/log');
      const verify = await b.post('/log/verify');
      assert.equal(page.status, ok ? 200 : 403, `${user} /log`);
      assert.equal(verify.status, ok ? 200 : 403, `${user} /log/verify`);
      if (!ok) {
        assert.equal((await b.get('/log/export.tar')).status, 403, `${user} export`);
        const denied = w.site.log.entries(before, w.site.log.size()).filter((e) => e.action === 'access.denied');
        assert.equal(denied.length, 3);
        assert.ok(denied.every((e) => e.actor === `user:${user}` && e.detail.needs === 'log.read'));
      }
    }
  });

  test('filter by target shows only that recording\'s entries, newest first; htmx gets a fragment', async () => {
    const b = browser(w);
    await b.login('aud');
    const html = await (await b.get(`/log?target=recording:${rec1}`)).text();
    const targets = [...html.matchAll(/<tr data-seq="(\d+)">[\s\S]*?hx-get="\/log\?target=([^"]+)"/g)].map((m) => decodeURIComponent(m[2]!));
    assert.ok(targets.length >= 3, `found ${targets.length}`);
    assert.ok(targets.every((t) => t === `recording:${rec1}`), targets.join(','));
    const seqs = [...html.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1]));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
    assert.ok(!html.includes(rec2));
    assert.ok(!html.includes('4930123456'), 'no phone numbers in the viewer');
    // a bare id means the recording
    const bare = await (await b.get(`/log?target=${rec1}`)).text();
    assert.deepEqual([...bare.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1])), seqs);

    const frag = await (await b.get(`/log?target=recording:${rec1}&action=recording.played`, { 'HX-Request': 'true' })).text();
    assert.ok(frag.startsWith('<section id="log-results"'));
    assert.equal([...frag.matchAll(/<tr data-seq=/g)].length, 1);

    // action prefix + actor (bare user name), unindexed date range
    const sue = await (await b.get('/log?actor=sue&action=recording')).text();
    assert.equal([...sue.matchAll(/<tr data-seq=/g)].length, 2);
    const today = new Date();
    const d = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
    const todays = await (await b.get(`/log?action=recording.ingested&from=${d}&to=${d}`)).text();
    assert.equal([...todays.matchAll(/<tr data-seq=/g)].length, 2);
    const none = await (await b.get('/log?action=recording.ingested&to=2001-01-01')).text();
    assert.match(none, /No matching entries/);

    // the form is labelled and htmx-driven with a shareable URL
    const page = await (await b.get('/log')).text();
    assert.match(page, /<form method="get" action="\/log"[^>]*hx-get="\/log" hx-target="#log-results" hx-swap="outerHTML" hx-push-url="true"/);
    for (const f of ['actor', 'action', 'target', 'from', 'to']) assert.match(page, new RegExp(`<label for="f-${f}">`));
  });

  test('cursor paging by seq', async () => {
    const extra = Array.from({ length: 120 }, (_, i) => ({ actor: 'system:test', action: 'test.paged', target: 'paging', detail: { i } }));
    await w.site.log.append(extra);
    const b = browser(w);
    await b.login('dora');
    const seen: number[] = [];
    let url: string | null = '/log?action=test.paged';
    while (url) {
      const html = await (await b.get(url)).text();
      seen.push(...[...html.matchAll(/<tr data-seq="(\d+)">/g)].map((m) => Number(m[1])));
      const next = /<a href="([^"]+)" hx-get="[^"]+" hx-target="#log-results" hx-swap="outerHTML" hx-push-url="true" rel="next">/.exec(html);
      url = next ? next[1]!.replaceAll('&amp;', '&') : null;
    }
    assert.equal(seen.length, 120);
    assert.equal(new Set(seen).size, 120);
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
  });

  test('export.tar extracts with GNU tar and its verify.mjs passes; the export is logged', async () => {
    const b = browser(w);
    await b.login('aud');
    const res = await b.get('/log/export.tar');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-tar');
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="tresor-audit-\d+\.tar"/);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.length % 512, 0);
    const dir = mkdtempSync(join(tmpdir(), 'tresor-tar-'));
    writeFileSync(join(dir, 'x.tar'), bytes);
    const list = spawnSync('tar', ['-tvf', 'x.tar'], { cwd: dir, encoding: 'utf8' });
    assert.equal(list.status, 0, list.stderr);
    const x = spawnSync('tar', ['-xf', 'x.tar'], { cwd: dir, encoding: 'utf8' });
    assert.equal(x.status, 0, x.stderr);
    const top = readdirSync(dir).find((n) => n.startsWith('tresor-audit-'))!;
    const files = readdirSync(join(dir, top)).sort();
    for (const f of ['README.txt', 'checkpoint', 'entries.jsonl', 'log.vkey', 'verify.html', 'verify.mjs']) assert.ok(files.includes(f), f);
    const v = spawnSync(process.execPath, ['verify.mjs'], { cwd: join(dir, top), encoding: 'utf8' });
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const e = w.site.log.entries(0, w.site.log.size()).filter((x) => x.action === 'audit.exported').at(-1)!;
    assert.equal(e.actor, 'user:aud');
    assert.equal(`tresor-audit-${e.detail.size}`, top);
    // removed once the stream has ended (the removal runs right after the last block)
    for (let i = 0; i < 50 && readdirSync(join(w.config.dataDir, 'tmp')).length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(readdirSync(join(w.config.dataDir, 'tmp')), [], 'temporary export removed');
  });

  test('Verify reports OK, then names the problem after a stored line is tampered with', async () => {
    const b = browser(w);
    await b.login('dora');
    const ok = await b.post('/log/verify');
    assert.equal(ok.status, 200);
    const okHtml = await ok.text();
    assert.match(okHtml, /id="verify-result"/);
    assert.match(okHtml, /OK: \d+ entries and \d+ signed checkpoints verified/);
    assert.match(okHtml, /<code>[0-9a-f]{64}<\/code>/);
    const v = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'audit.verified').at(-1)!;
    assert.equal(v.detail.ok, true);

    // tamper through the same store object (never reopen the index in-process)
    await w.site.log.checkpointNow();
    const seq = w.site.log.about('target', `recording:${rec2}`, 10).at(-1)!.seq;
    const line = w.site.store.log.line(seq)!;
    const forged = line.replace('"action":"recording.ingested"', '"action":"recording.duplicate"');
    assert.notEqual(forged, line);
    await w.site.store.tx(() => w.site.store.log.tamper(seq, forged));
    const bad = await b.post('/log/verify');
    assert.equal(bad.status, 409);
    const badHtml = await bad.text();
    assert.match(badHtml, /NOT OK: \d+ problem\(s\)/);
    const problems = [...badHtml.matchAll(/<li>([^<]+)<\/li>/g)].map((m) => m[1]!);
    assert.ok(problems.some((p) => p.includes(`entry ${seq + 1}`) || p.includes(`entry ${seq}`)), problems.join(' | '));
    // the viewer still renders around it
    assert.equal((await b.get('/log')).status, 200);
  });
});

test('tar header: ustar magic, checksum, long names split into prefix', () => {
  const h = tarHeader('a/b.txt', { size: 5, mode: 0o644, mtime: 0, type: 'file' });
  assert.equal(h.length, 512);
  assert.equal(h.subarray(257, 263).toString('latin1'), 'ustar\0');
  const stored = parseInt(h.subarray(148, 154).toString('ascii'), 8);
  const copy = Buffer.from(h);
  copy.fill(0x20, 148, 156);
  assert.equal(stored, copy.reduce((s, b) => s + b, 0));
  const long = `${'d'.repeat(120)}/${'f'.repeat(90)}`;
  const lh = tarHeader(long, { size: 0, mode: 0o644, mtime: 0, type: 'file' });
  assert.equal(lh.subarray(345, 465).toString('ascii'), 'd'.repeat(120));
  assert.throws(() => tarHeader('x'.repeat(300), { size: 0, mode: 0o644, mtime: 0, type: 'file' }));
});
