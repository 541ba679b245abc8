import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { syncConfigPolicies } from '../src/retention/policy-change.ts';
import { loadConfig } from '../src/config/index.ts';
import type { LogEntry } from '../src/audit/index.ts';

// Issue 11 items 8 and 9 over HTTP: the public notice needs no sign-in and shows the
// configured contacts and retention periods in German and English, without anything
// personal; the Art. 30 record is dpo only (HTML + PDF, read back with pdftotext); every
// workbench page refuses a non-dpo with 403.

const HAS_PDFTOTEXT = spawnSync('pdftotext', ['-v']).error === undefined;

describe('console: /privacy and the DPO workbench', () => {
  let w: WebSite;
  let callId = '';
  const anon = () => browser(w);
  const b: Record<'dora' | 'sue' | 'ada' | 'otto', ReturnType<typeof browser>> = {} as never;

  before(async () => {
    w = await webSite((c) => {
      c.privacy.controller = { name: 'Musterfirma Callcenter GmbH', address: 'Hauptstraße 1, 10115 Berlin', email: 'info@musterfirma.example' };
      c.privacy.dpo = { name: 'Dana Datenschutz', email: 'datenschutz@musterfirma.example' };
      c.privacy.purposes = ['quality assurance', 'evidence of orders'];
      c.retention.policies = [
        { name: 'default', match: {}, keep: 'P90D', lock: false },
        { name: 'orders', match: { queue: ['sales'] }, keep: 'P6Y', lock: true },
      ];
    });
    await syncConfigPolicies(w.site.store, w.site.log, w.config.retention.policies, { graceDays: w.config.retention.configGraceDays });
    callId = await w.ingestCall('in-4930123456-015112345678-20261120-101500-1764250000.12.wav');
    for (const [name, roles] of [['dora', ['dpo']], ['sue', ['supervisor']], ['ada', ['admin']], ['otto', ['auditor']]] as const) {
      await makeUser(w, name, [...roles]);
      b[name] = browser(w);
      assert.equal((await b[name].login(name)).status, 303);
    }
  });
  after(async () => w?.close());

  it('/privacy needs no sign-in and shows the controller, the DPO, purposes and retention periods in English and German', async () => {
    const en = await anon().get('/privacy', { 'Accept-Language': 'en-GB,en;q=0.9' });
    assert.equal(en.status, 200);
    const e = await en.text();
    assert.match(e, /<html lang="en">/);
    assert.match(e, /Musterfirma Callcenter GmbH/);
    assert.match(e, /Hauptstraße 1, 10115 Berlin/);
    assert.match(e, /datenschutz@musterfirma\.example/);
    assert.match(e, /quality assurance/);
    assert.match(e, /90 days/);
    assert.match(e, /6 years \(locked/);
    assert.match(e, /queue sales/);
    assert.match(e, /id="ivr-text">[^<]*at most 6 years/);
    const de = await (await anon().get('/privacy', { 'Accept-Language': 'de-DE,de;q=0.9' })).text();
    assert.match(de, /<html lang="de">/);
    assert.match(de, /Verantwortlicher/);
    assert.match(de, /90 Tage/);
    assert.match(de, /6 Jahre/);
    assert.match(de, /höchstens 6 Jahre/);
    // ?lang wins over the browser's language (a link printed on a letter)
    assert.match(await (await anon().get('/privacy?lang=de', { 'Accept-Language': 'en' })).text(), /<html lang="de">/);
  });

  it('/privacy leaks nothing personal and no register data, and has the strict CSP', async () => {
    // a request exists, and a number is in the archive; the notice shows neither
    await b.dora.post('/privacy/requests', { kind: 'access', number: '0151 12345678', received: '', channel: 'letter' });
    const res = await anon().get('/privacy');
    const t = await res.text();
    assert.doesNotMatch(t, /15112345678|4915112345678/);
    assert.doesNotMatch(t, new RegExp(callId));
    assert.doesNotMatch(t, /\/privacy\/requests|dora/);
    assert.match(res.headers.get('Content-Security-Policy') ?? '', /script-src 'self'/);
    assert.doesNotMatch(t, /<script>|style="/);
  });

  it('an unconfigured site says "not configured" instead of inventing a controller', async () => {
    const bare = await webSite();
    try {
      const t = await (await browser(bare).get('/privacy', { 'Accept-Language': 'en' })).text();
      assert.equal((t.match(/not configured/g) ?? []).length >= 5, true, 'controller name, address, email, DPO name, email and purposes');
      assert.match(t, /No retention period is configured/);
    } finally {
      await bare.close();
    }
  });

  it('the configuration refuses unusable contacts, all at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tresor-privacy-config-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ privacy: { controller: { email: 'not an address' }, dpo: { email: 'x@' }, purposes: ['ok', ''] } }));
      assert.throws(() => loadConfig({ TRESOR_CONFIG: file, TRESOR_DATA_DIR: dir }), (e: Error) =>
        /privacy\.controller\.email: not an e-mail address/.test(e.message) && /privacy\.dpo\.email/.test(e.message) && /privacy\.purposes\[1\]: must not be empty/.test(e.message));
      writeFileSync(file, JSON.stringify({ privacy: { controller: { phone: '1' } } }));
      assert.throws(() => loadConfig({ TRESOR_CONFIG: file, TRESOR_DATA_DIR: dir }), /privacy\.controller\.phone: unknown setting/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a non-dpo gets 403 on every workbench page and the record of processing; signed out goes to login', async () => {
    const paths = ['/privacy/requests', '/privacy/record-of-processing', '/privacy/record-of-processing.pdf', '/privacy/requests/01JAAAAAAAAAAAAAAAAAAAAAAA'];
    for (const who of ['sue', 'ada', 'otto'] as const) {
      for (const p of paths) assert.equal((await b[who].get(p)).status, 403, `${who} ${p}`);
      assert.equal((await b[who].post('/privacy/subjects', { number: '015112345678' })).status, 403, `${who} lookup`);
      assert.equal((await b[who].post('/privacy/requests', { kind: 'access', number: '015112345678' })).status, 403, `${who} open`);
      assert.doesNotMatch(await (await b[who].get('/account')).text(), /href="\/privacy\/requests"/, `no Privacy nav for ${who}`);
    }
    assert.match(await (await b.dora.get('/account')).text(), /href="\/privacy\/requests"/);
    const r = await anon().get('/privacy/requests');
    assert.equal(r.status, 303);
    assert.match(r.headers.get('Location') ?? '', /^\/login\?next=%2Fprivacy%2Frequests/);
  });

  it('the lookup is a POST, logged, and finds the call; a request opened from the form gets its due date and timeline', async () => {
    const before = w.site.log.size();
    const look = await b.dora.post('/privacy/subjects', { number: '+49 151 12345678' });
    assert.equal(look.status, 200);
    const lt = await look.text();
    assert.match(lt, new RegExp(`href="/recordings/${callId}"`));
    const entries: LogEntry[] = w.site.log.entries(before, w.site.log.size());
    assert.ok(entries.some((e) => e.action === 'subject.looked-up' && e.actor === 'user:dora'));
    assert.doesNotMatch(JSON.stringify(entries), /15112345678/);

    const open = await b.dora.post('/privacy/requests', { kind: 'erasure', number: '015112345678', received: '2026-01-05', channel: 'e-mail' });
    assert.equal(open.status, 303);
    const loc = open.headers.get('Location')!;
    assert.match(loc, /^\/privacy\/requests\/[0-9A-Z]{26}\?done=opened$/);
    const page = await (await b.dora.get(loc)).text();
    assert.match(page, /datetime="2026-02-05T/, 'due one calendar month after receipt');
    assert.match(page, /badge overdue/);
    assert.match(page, /<tr data-action="request.opened">/);
    assert.match(page, /id="kind-actions" data-kind="erasure"/);
    const list = await (await b.dora.get('/privacy/requests')).text();
    assert.match(list, new RegExp(`<tr id="req-${loc.split('/')[3]!.slice(0, 26)}" class="overdue">`));

    // a refusal without a reason comes back at its form, 400; with a reason the page shows Art. 12(4)
    const id = loc.split('/')[3]!.slice(0, 26);
    const bad = await b.dora.post(`/privacy/requests/${id}/close`, { outcome: 'refused', reason: '' });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /id="close-error"/);
    assert.equal((await b.dora.post(`/privacy/requests/${id}/close`, { outcome: 'refused', reason: 'identity could not be confirmed' })).status, 303);
    const closed = await (await b.dora.get(`/privacy/requests/${id}`)).text();
    assert.match(closed, /id="refusal-information">Art\. 12\(4\)/);
    assert.match(closed, /data-action="request.refused"/);
  });

  it('extending through the form moves the due date; a notice dated in the future comes back at the extend form', async () => {
    const open = await b.dora.post('/privacy/requests', { kind: 'access', customerId: 'K-1', received: '', channel: 'phone' });
    const id = /requests\/([0-9A-Z]{26})/.exec(open.headers.get('Location')!)![1]!;
    const today = new Date().toISOString().slice(0, 10);
    const future = new Date(Date.now() + 5 * 86400_000).toISOString().slice(0, 10);
    const bad = await b.dora.post(`/privacy/requests/${id}/extend`, { months: '2', reason: 'many calls to review', notified: future });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /id="extend-error"[^>]*>[^<]*future/);
    assert.equal((await b.dora.post(`/privacy/requests/${id}/extend`, { months: '2', reason: 'many calls to review', notified: today })).status, 303);
    const page = await (await b.dora.get(`/privacy/requests/${id}`)).text();
    assert.match(page, /id="extension">by 2 month\(s\)/);
    assert.match(page, /data-action="request.extended"/);
    const row = w.site.store.requests.get(id)!;
    assert.ok(row.dueAt > row.firstDueAt + 50 * 86400_000, 'due three months after receipt');
    assert.doesNotMatch(page, /id="extend-h"/, 'two months is the limit: no form any more');
  });

  it('the Art. 30 record is HTML and a PDF with the same facts', { skip: HAS_PDFTOTEXT ? false : 'pdftotext missing (Debian package poppler-utils)' }, async () => {
    const html = await (await b.dora.get('/privacy/record-of-processing', { 'Accept-Language': 'en' })).text();
    assert.match(html, /Art\. 30/);
    assert.match(html, /Musterfirma Callcenter GmbH/);
    const res = await b.dora.get('/privacy/record-of-processing.pdf');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('Content-Type'), 'application/pdf');
    const dir = mkdtempSync(join(tmpdir(), 'tresor-art30-'));
    try {
      const file = join(dir, 'r.pdf');
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      const out = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      assert.equal(out.status, 0, out.stderr);
      const text = out.stdout.replace(/\s+/g, ' ');
      for (const s of ['Record of processing', 'Musterfirma Callcenter GmbH', 'datenschutz@musterfirma.example', 'quality assurance', '90 days', '6 years', 'Art. 30(1)(f)']) {
        assert.ok(text.includes(s), `PDF text has "${s}": ${text.slice(0, 400)}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
