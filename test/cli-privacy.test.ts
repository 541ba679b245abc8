import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { before, describe, it } from 'node:test';
import { webSite, type WebSite } from './helpers/web.ts';
import { cli } from './helpers/site.ts';
import { openSite } from '../src/site/open.ts';

// `tresor subject` and `tresor request` as the contract says, against a real
// archive with one ingested call (the site is closed before the CLI runs: one writer).

const DAY = 86_400_000;
const p = (x: number) => String(x).padStart(2, '0');
const ymd = (d: Date) => `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;

describe('tresor subject / request', () => {
  let w: WebSite;
  let id: string;
  before(async () => {
    w = await webSite();
    const d = new Date(Date.now() - DAY);
    id = await w.ingestCall(`in-4930123456-015120000001-${ymd(d).replace(/-/g, '')}-101500-1764251101.1.wav`, { seconds: 2, source: 'noise' }, { customerId: 'CRM-1' });
    await w.close();
  });

  it('finds a subject by number or customer id (JSON as the API gives it)', async () => {
    const r = await cli(w.config, ['subject', 'find', '--number', '+49 151 2000 0001', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { recordings: [id], quarantined: [], holds: [], requests: [] });
    const c = await cli(w.config, ['subject', 'find', '--customer-id', 'CRM-1', '--json']);
    assert.deepEqual(JSON.parse(c.stdout).recordings, [id]);
    const none = await cli(w.config, ['subject', 'find']);
    assert.equal(none.code, 2);
  });

  it('opens, lists, shows, verifies, extends and closes a request; the log names no number', async () => {
    const received = ymd(new Date(Date.now() - 3 * DAY));
    const o = await cli(w.config, ['request', 'open', '--kind', 'access', '--number', '0151 2000 0001', '--received', received, '--channel', 'letter']);
    assert.equal(o.code, 0, o.stderr);
    const rid = o.stdout.trim();
    assert.match(rid, /^[0-9A-Z]{26}$/);

    const list = await cli(w.config, ['request', 'list', '--open', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const items = JSON.parse(list.stdout) as Record<string, unknown>[];
    const mine = items.find((r) => r.id === rid)!;
    for (const k of ['id', 'kind', 'state', 'receivedAt', 'dueAt']) assert.ok(k in mine, k);
    assert.equal(mine.state, 'received');
    assert.deepEqual(JSON.parse((await cli(w.config, ['request', 'list', '--overdue', '--json'])).stdout), []);

    assert.notEqual((await cli(w.config, ['request', 'close', rid, '--outcome', 'answered'])).code, 0, 'answering before verification is refused');
    const v = await cli(w.config, ['request', 'verify', rid, '--method', 'call-back']);
    assert.equal(v.code, 0, v.stderr);
    const late = await cli(w.config, ['request', 'extend', rid, '--months', '2', '--reason', 'complex', '--notified', ymd(new Date(Date.now() + 40 * DAY))]);
    assert.notEqual(late.code, 0);
    const noReason = await cli(w.config, ['request', 'extend', rid, '--months', '2', '--notified', ymd(new Date())]);
    assert.equal(noReason.code, 2);
    const ext = await cli(w.config, ['request', 'extend', rid, '--months', '2', '--reason', 'complex', '--notified', ymd(new Date())]);
    assert.equal(ext.code, 0, ext.stderr);
    const shown = JSON.parse((await cli(w.config, ['request', 'show', rid, '--json'])).stdout) as { state: string; extension: { months: number }; identity: { by: string } };
    assert.equal(shown.state, 'identity-verified');
    assert.equal(shown.extension.months, 2);
    assert.equal(shown.identity.by, `cli:${userInfo().username}`);
    const refuse = await cli(w.config, ['request', 'close', rid, '--outcome', 'refused']);
    assert.notEqual(refuse.code, 0, 'a refusal needs a reason');
    const closed = await cli(w.config, ['request', 'close', rid, '--outcome', 'answered']);
    assert.equal(closed.code, 0, closed.stderr);
    assert.match(closed.stdout, /answered/);

    const site = openSite(w.config);
    try {
      const entries = site.log.entries(0, site.log.size());
      const mineLog = entries.filter((e) => e.target === `request:${rid}`).map((e) => `${e.action} ${e.detail.state}`);
      assert.deepEqual(mineLog, ['request.opened received', 'request.identity-verified identity-verified', 'request.extended identity-verified', 'request.answered answered']);
      const text = JSON.stringify(entries);
      assert.ok(!text.includes('20000001') && !text.includes('CRM-1'), 'no number or customer id in the log');
      assert.ok(entries.some((e) => e.action === 'subject.looked-up'));
    } finally {
      await site.close();
    }
  });
});
