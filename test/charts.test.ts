import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it, test } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { browser as httpBrowser, makeUser, PASSWORD, webSite, type WebSite } from './helpers/web.ts';
import { createAlerts, dayBuckets, journalChannel, weekBuckets } from '../src/alerts/index.ts';
import { openRequest } from '../src/privacy/index.ts';

// Issue 14 item 3: the DPO's charts, rendered on the server as SVG with a table of the same
// numbers, in Debian's chromium against the console on loopback. The numbers are checked
// against what the test did (calls ingested, plays and downloads through the console,
// requests opened, alerts raised), not against the charts' own code.

test('day buckets are calendar days, also across the change from summer time', () => {
  const tz = process.env.TZ;
  process.env.TZ = 'Europe/Berlin';
  try {
    // 2026-10-25 is 25 hours long in Berlin
    const b = dayBuckets(Date.parse('2026-11-02T10:00:00+01:00'), 14);
    assert.equal(b.length, 14);
    assert.equal(b[0]!.label, '2026-10-20');
    assert.equal(b.at(-1)!.label, '2026-11-02');
    assert.deepEqual(new Set(b.map((x) => x.label)).size, 14, 'no day twice, none skipped');
    assert.equal(b.find((x) => x.label === '2026-10-26')!.start - b.find((x) => x.label === '2026-10-25')!.start, 25 * 3600_000);
    const w = weekBuckets(Date.parse('2026-11-04T10:00:00+01:00'), 3);
    assert.deepEqual(w.map((x) => x.label), ['2026-10-19', '2026-10-26', '2026-11-02'], 'weeks start on Monday (ISO 8601)');
  } finally {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  }
});

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium package to run this test)`;

describe('the charts in a browser', { skip }, () => {
  let w: WebSite;
  let server: ServerType;
  let origin = '';
  let browser: Browser;
  const ids: string[] = [];
  let alertsRaised = 0;

  before(async () => {
    w = await webSite();
    for (let i = 0; i < 3; i++) ids.push(await w.ingestCall(`in-4930123456-01511234567${i}-20261125-10150${i}-176425000${i}.${i}.wav`, { seconds: 2, source: 'noise' }));
    await makeUser(w, 'dora', ['dpo']);
    const deps = { store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone };
    await openRequest(deps, 'cli:test', { kind: 'access', number: '+49301234567', receivedAt: Date.now() - 40 * 86_400_000 });
    await openRequest(deps, 'cli:test', { kind: 'erasure', number: '+49301234568' });
    const alerts = createAlerts({
      store: w.site.store, log: w.site.log, config: w.config, createdAt: Date.now(), live: () => ({ oldestWaitingSince: null, witnesses: [] }),
      channels: [journalChannel(() => {})],
    });
    alertsRaised = (await alerts.evaluateNow()).filter((t) => t.event === 'raised').length;
    assert.ok(alertsRaised >= 1, 'the overdue request raised an alert');
    // accesses through the console: two plays of one call, one download of another
    const b = httpBrowser(w);
    assert.equal((await b.login('dora')).status, 303);
    for (const path of [`/recordings/${ids[0]}/audio`, `/recordings/${ids[0]}/audio`, `/recordings/${ids[1]}/download`]) {
      const r = await b.get(path);
      assert.equal(r.status, 200, path);
      await r.arrayBuffer();
    }
    server = serve({ fetch: w.app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((r) => server.once('listening', r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--mute-audio', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await w?.close();
  });

  it('shows calls, disk, accesses, requests and alerts as SVG whose numbers match the data and the tables', async () => {
    const ctx = await browser.newContext({ locale: 'en-GB' });
    const page = await ctx.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
    await page.goto(`${origin}/login?next=%2F`);
    await page.getByLabel(/User name/).fill('dora');
    await page.getByLabel(/^Password$/).fill(PASSWORD);
    await page.getByRole('button', { name: /Sign in/ }).click();
    await page.waitForURL(`${origin}/`);
    await page.locator('#charts-link').click();
    await page.waitForURL(`${origin}/charts`);
    const today = dayBuckets(Date.now(), 1)[0]!.label;

    // calls archived today: 3 bars' worth, in the SVG and in its table
    const bar = (chart: string, label: string, series: string) => page.locator(`#${chart} rect.bar[data-label="${label}"][data-series="${series}"]`);
    assert.equal(await bar('chart-archived', today, 'calls').getAttribute('data-value'), '3');
    assert.match(await page.locator('#chart-archived').getAttribute('aria-label') ?? '', /^3 calls archived in the last 30 days$/);
    assert.equal(await page.locator('#chart-archived rect.bar').count(), 1, 'no calls on the other days');
    await page.locator('#chart-archived-table').locator('xpath=..').locator('summary').click();
    const todayRow = page.locator('#chart-archived-table tr', { has: page.locator(`th:text-is("${today}")`) });
    assert.equal(await todayRow.locator('td').innerText(), '3');

    // accesses: 2 plays and 1 download today
    assert.equal(await bar('chart-accesses', today, 'recording.played').getAttribute('data-value'), '2');
    assert.equal(await bar('chart-accesses', today, 'recording.downloaded').getAttribute('data-value'), '1');
    const accRow = page.locator('#chart-accesses-table tr', { has: page.locator(`th:text-is("${today}")`) });
    assert.equal(await accRow.locator('td[data-series="recording.played"]').textContent(), '2');
    assert.equal(await accRow.locator('td[data-series="recording.downloaded"]').textContent(), '1');

    // requests: one overdue (received 40 days ago), one due in about a month
    assert.equal(await bar('chart-requests', 'overdue', 'requests').getAttribute('data-value'), '1');
    assert.equal(await bar('chart-requests', 'in more than 14 days', 'requests').getAttribute('data-value'), '1');
    assert.match(await page.locator('#chart-requests').getAttribute('aria-label') ?? '', /2 open requests, 1 overdue/);

    // alerts: what the evaluation raised, this week
    const weekSum = await page.locator('#chart-alerts rect.bar').evaluateAll((els) => els.reduce((s, e) => s + Number(e.getAttribute('data-value')), 0));
    assert.equal(weekSum, alertsRaised);

    // disk: the line of use and the limit where ingest stops are drawn, with a summary
    assert.equal(await page.locator('#chart-disk polyline.used').count(), 1);
    assert.equal(await page.locator('#chart-disk line.limit').count(), 1);
    assert.match(await page.locator('#chart-disk').getAttribute('aria-label') ?? '', /used/);
    // drawn: the browser lays the SVG out with a real size
    const box = await page.locator('#chart-archived').boundingBox();
    assert.ok(box && box.width > 300 && box.height > 50, JSON.stringify(box));
    assert.deepEqual(cspErrors, []);

    // the 90-day view, in German
    await page.getByRole('button', { name: 'Deutsch' }).click().catch(async () => page.locator('form[action="/lang"] button').click());
    await page.goto(`${origin}/charts?days=90`);
    assert.match(await page.locator('h1').innerText(), /Diagramme/);
    assert.match(await page.locator('#chart-archived').getAttribute('aria-label') ?? '', /^3 Anrufe in den letzten 90 Tagen archiviert$/);
    assert.equal(await page.locator('#chart-archived-table tbody tr').count(), 90);
    await ctx.close();
  });
});
