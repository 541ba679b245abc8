import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { browser, makeUser, webSite, type WebSite } from './helpers/web.ts';
import { createAlerts, journalChannel } from '../src/alerts/index.ts';

// Issue 14 item 4, the breach register (GDPR Art. 33/34) through the console: record a
// suspected breach, see the 72-hour clock on its page and the dashboard, the rules of
// notice and closing, the draft notification with the Art. 33(3) contents as a PDF in
// German and English. What happened is sealed: neither the log nor the index holds it.

const pdftotext = spawnSync('pdftotext', ['-v']).error ? 'pdftotext missing (install poppler-utils)' : false;
const NATURE = 'USB stick with exported calls of Frau Erika Mustermann lost on the train';
const pad = (n: number) => String(n).padStart(2, '0');
/** what a datetime-local input sends: local time, minutes */
const local = (ms: number) => {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

describe('the breach register', () => {
  let w: WebSite;
  let b: ReturnType<typeof browser>;
  const work = mkdtempSync(join(tmpdir(), 'tresor-breach-'));

  before(async () => {
    w = await webSite((c) => {
      c.privacy.dpo = { name: 'Dana Datenschutz', email: 'dsb@example.org' };
      c.privacy.controller = { name: 'Callcenter GmbH', address: 'Hauptstr. 1, 10115 Berlin', email: 'info@example.org' };
    });
    await makeUser(w, 'dora', ['dpo']);
    await makeUser(w, 'adam', ['admin']);
    b = browser(w);
    assert.equal((await b.login('dora')).status, 303);
  });
  after(async () => {
    await w?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const record = (noticedAt: number, extra: Record<string, string> = {}) => b.post('/privacy/breaches', {
    noticedAt: local(noticedAt), nature: NATURE, categories: 'audio of calls, phone numbers; customers', subjectsEstimate: '40', recordsEstimate: '57',
    consequences: 'calls could be listened to by the finder', measures: 'stick was encrypted? no; customers informed; exports now only as AES ZIP', ...extra,
  });

  it('records a breach with its 72-hour clock on its page and on the dashboard, sealed and logged without its facts', async () => {
    const res = await record(Date.now() - 60_000);
    assert.equal(res.status, 303);
    const id = /\/privacy\/breaches\/([0-9A-Z]{26})$/.exec(res.headers.get('location')!)![1]!;
    const page = await (await b.get(`/privacy/breaches/${id}`)).text();
    assert.match(page, /id="clock"[^>]*>71 h \d+ min left to notify the authority/);
    assert.match(page, new RegExp(NATURE.replace(/[.?]/g, '\\$&')), 'the draft states what happened');
    assert.match(page, /about 40 data subject\(s\); about 57 recorded call\(s\)/);
    assert.match(page, /Dana Datenschutz, dsb@example\.org/);
    const dash = await (await b.get('/')).text();
    assert.match(dash, new RegExp(`href="/privacy/breaches/${id}">${id}</a>: 71 h`));
    // an admin (no privacy.requests) neither sees the clock nor opens the register
    const admin = browser(w);
    await admin.login('adam');
    assert.doesNotMatch(await (await admin.get('/')).text(), /breach-clocks/);
    assert.equal((await admin.get(`/privacy/breaches/${id}`)).status, 403);

    const entries = w.site.log.entries(0, w.site.log.size());
    const rec = entries.find((e) => e.action === 'breach.recorded' && e.target === `breach:${id}`)!;
    assert.equal(rec.detail.subjects, 40);
    assert.ok(entries.some((e) => e.action === 'breach.viewed' && e.target === `breach:${id}`), 'opening the facts is logged');
    const all = JSON.stringify(entries);
    assert.doesNotMatch(all, /Mustermann/, 'the log carries no facts');
    const mdb = readdirSync(w.config.dataDir, { recursive: true }).map(String).filter((f) => f.endsWith('.mdb'));
    assert.ok(mdb.length > 0);
    for (const f of mdb) assert.ok(!readFileSync(join(w.config.dataDir, f)).includes('Mustermann'), `${f} holds the facts sealed only`);
  });

  it('an overdue notice needs the reasons for the delay; a breach with a risk cannot be closed un-notified; one unlikely to harm is closed with its documentation', async () => {
    const res = await record(Date.now() - 80 * 3600_000);
    const id = /([0-9A-Z]{26})$/.exec(res.headers.get('location')!)![1]!;
    assert.match(await (await b.get('/privacy/breaches')).text(), new RegExp(`<tr id="breach-${id}" class="overdue">.*72 hours passed 8 h ago`));
    assert.equal((await b.post(`/privacy/breaches/${id}/assess`, { risk: 'risk' })).status, 303);
    // the alert engine sees it too (issue 14 item 1): an overdue notice is critical
    const alerts = createAlerts({ store: w.site.store, log: w.site.log, config: w.config, createdAt: Date.now(), live: () => ({ oldestWaitingSince: null, witnesses: [] }), channels: [journalChannel(() => {})] });
    const raised = (await alerts.evaluateNow()).filter((t) => t.event === 'raised').map((t) => t.row);
    assert.ok(raised.some((r) => r.key === 'breachDeadline.overdue' && r.severity === 'critical'), JSON.stringify(raised.map((r) => r.key)));
    const closing = await b.post(`/privacy/breaches/${id}/close`, { note: 'done' });
    assert.equal(closing.status, 409);
    assert.match(await closing.text(), /record the notice to the authority first \(Art\. 33\(1\)\)/);
    const late = await b.post(`/privacy/breaches/${id}/notify`, { to: 'authority', at: local(Date.now()) });
    assert.equal(late.status, 400);
    assert.match(await late.text(), /after 72 hours: give the reasons for the delay/);
    assert.equal((await b.post(`/privacy/breaches/${id}/notify`, { to: 'authority', at: local(Date.now()), delayReason: 'noticed on Friday night, DPO on leave' })).status, 303);
    const notified = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'breach.notified' && e.target === `breach:${id}`);
    assert.equal(notified.length, 1);
    assert.equal(notified[0]!.detail.late, true);
    assert.match(await (await b.get(`/privacy/breaches/${id}`)).text(), /Reasons for the delay \(Art\. 33\(1\)\)<\/dt><dd>noticed on Friday night/);
    assert.equal((await b.post(`/privacy/breaches/${id}/close`, { note: 'authority answered, no further action' })).status, 303);

    const r2 = await record(Date.now() - 3600_000);
    const id2 = /([0-9A-Z]{26})$/.exec(r2.headers.get('location')!)![1]!;
    await b.post(`/privacy/breaches/${id2}/assess`, { risk: 'unlikely' });
    assert.match(await (await b.get(`/privacy/breaches/${id2}`)).text(), /no notice due/);
    assert.equal((await b.post(`/privacy/breaches/${id2}/close`, { note: 'stick was encrypted with AES-256; key not lost' })).status, 303);
    const list = await (await b.get('/privacy/breaches')).text();
    const closed = list.slice(list.indexOf('id="breaches-closed"'));
    assert.ok(closed.includes(id) && closed.includes(id2));
    const actions = w.site.log.entries(0, w.site.log.size()).filter((e) => e.target === `breach:${id2}`).map((e) => e.action);
    assert.deepEqual(actions.filter((a) => a !== 'breach.viewed'), ['breach.recorded', 'breach.assessed', 'breach.closed']);
  });

  it('refuses a breach noticed in the future or without saying what happened', async () => {
    const r = await record(Date.now() + 86_400_000);
    assert.equal(r.status, 400);
    assert.match(await r.text(), /noticedAt is in the future/);
    const r2 = await record(Date.now(), { nature: '' });
    assert.equal(r2.status, 400);
    assert.match(await r2.text(), /nature is required/);
  });

  it('the draft notification downloads as a PDF with the Art. 33(3) contents, in German and English', { skip: pdftotext }, async () => {
    const res = await record(Date.now() - 3600_000);
    const id = /([0-9A-Z]{26})$/.exec(res.headers.get('location')!)![1]!;
    for (const [lang, words] of [['de', /Datenschutzbeauftragte[\s\S]*Art der Verletzung[\s\S]*Wahrscheinliche Folgen[\s\S]*Ergriffene oder vorgeschlagene Maßnahmen/], ['en', /Nature of the breach[\s\S]*Likely consequences[\s\S]*Measures taken or proposed/]] as const) {
      const pdf = await b.get(`/privacy/breaches/${id}/notice.pdf?lang=${lang}`);
      assert.equal(pdf.status, 200);
      assert.match(pdf.headers.get('content-disposition')!, new RegExp(`breach-notice-${id}-${lang}\\.pdf`));
      const f = join(work, `${lang}.pdf`);
      writeFileSync(f, Buffer.from(await pdf.arrayBuffer()));
      const text = spawnSync('pdftotext', [f, '-'], { encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
      assert.match(text, words);
      assert.match(text, /Mustermann/);
      assert.match(text, /dsb@example\.org/);
    }
    assert.equal(w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'breach.notice.exported' && e.target === `breach:${id}`).length, 2);
  });
});
