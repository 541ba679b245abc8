import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openSite, type Site } from '../src/site/open.ts';
import { openRequest } from '../src/privacy/index.ts';
import { createAlerts, evaluateRules, journalChannel, webhookChannel, acknowledgeAlert, type AlertInputs } from '../src/alerts/index.ts';
import { defaultConfig } from '../src/config/index.ts';
import { cli, testConfig } from './helpers/site.ts';

const quiet = (): AlertInputs => ({
  now: Date.parse('2026-12-02T10:00:00Z'), openRequestDueAt: [], purge: { lastRunState: 'done', clockHeld: false }, oldestWaitingSince: null,
  quarantinedLastHour: 0, diskDaysLeft: null, access: [], failedSignInsLastHour: 0, witnesses: [], selfCheck: null,
  handOut: { daysSince: 2, ageDays: 40, logSize: 100 }, breachNoticeDueAt: [],
});

describe('alert rules (pure)', () => {
  const rules = defaultConfig().alerts.rules;
  test('a quiet box raises nothing', () => assert.deepEqual(evaluateRules(quiet(), rules), []));
  test('a checkpoint not handed out for 30 days, or never on a box older than that, is a notice', () => {
    const i = quiet();
    i.handOut = { daysSince: 31, ageDays: 90, logSize: 10 };
    assert.deepEqual(evaluateRules(i, rules).map((f) => [f.rule, f.severity, f.detail.days, f.detail.never]), [['handOut', 'notice', 31, false]]);
    i.handOut = { daysSince: null, ageDays: 12, logSize: 10 };
    assert.deepEqual(evaluateRules(i, rules), [], 'a young box is not nagged yet');
    i.handOut = { daysSince: null, ageDays: 45, logSize: 10 };
    assert.deepEqual(evaluateRules(i, rules).map((f) => f.detail.never), [true]);
  });
  test('a breach notice due within 24 hours warns; past its 72 hours it is critical', () => {
    const i = quiet();
    i.breachNoticeDueAt = [i.now + 5 * 3600_000, i.now - 3600_000, i.now + 60 * 3600_000];
    assert.deepEqual(evaluateRules(i, rules).map((f) => [f.key, f.severity, f.detail.breaches]), [['breachDeadline.overdue', 'critical', 1], ['breachDeadline.soon', 'warning', 1]]);
  });
  test('each rule fires above its threshold and names user ids, never numbers', () => {
    const i = quiet();
    const f = evaluateRules({
      ...i, openRequestDueAt: [i.now - 1, i.now + 86_400_000], purge: { lastRunState: 'failed', clockHeld: true }, oldestWaitingSince: i.now - 31 * 60_000,
      quarantinedLastHour: 11, diskDaysLeft: 3, access: [{ actor: 'user:sue', plays: 61, numbers: 21, offHours: 1 }], failedSignInsLastHour: 21,
      witnesses: [{ name: 'w1', behindMs: null, unreachable: true, refusing: false }], selfCheck: { at: i.now, fsckProblems: 1, logProblems: 0, error: null },
    }, rules);
    assert.deepEqual(new Set(f.map((x) => x.rule)), new Set(['requestDue', 'requestOverdue', 'purge', 'ingestLag', 'quarantineGrowth', 'diskForecast', 'unusualAccess', 'failedSignIns', 'witness', 'selfCheck']));
    assert.ok(f.some((x) => x.key === 'unusualAccess.plays:user:sue' && x.severity === 'critical'));
  });
  test('a rule that is off does not fire', () => {
    const off = { ...rules, failedSignIns: { ...rules.failedSignIns, enabled: false } };
    assert.deepEqual(evaluateRules({ ...quiet(), failedSignInsLastHour: 999 }, off), []);
  });
});

describe('alerts on a real site', () => {
  let site: Site;
  const config = testConfig();
  const lines: string[] = [];
  let received: { body: string; sig: string }[] = [];
  let server: ReturnType<typeof createServer>;
  let url = '';
  before(async () => {
    site = openSite(config, { create: true });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d)).on('end', () => {
        received.push({ body, sig: String(req.headers['x-tresor-signature']) });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  after(async () => {
    server.close();
    await site.close();
  });

  test('an overdue request raises one alert per episode, journal line with priority, signed webhook; ack and clear are logged', async () => {
    const secret = 'a-webhook-secret-of-some-length';
    const deps = { store: site.store, log: site.log, keys: site.keys, phone: config.phone };
    const req = await openRequest(deps, 'cli:test', { kind: 'access', number: '+49301234567', receivedAt: Date.now() - 40 * 86_400_000 });
    const alerts = createAlerts({
      store: site.store, log: site.log, config, createdAt: Date.now(), live: () => ({ oldestWaitingSince: null, witnesses: [] }),
      channels: [journalChannel((l) => lines.push(l)), webhookChannel({ url, secret, backoffMs: 10 })],
    });
    const t1 = await alerts.evaluateNow();
    const raised = t1.filter((t) => t.event === 'raised').map((t) => t.row);
    const overdue = raised.find((r) => r.rule === 'requestOverdue');
    assert.ok(overdue, JSON.stringify(raised));
    assert.equal((await alerts.evaluateNow()).length, 0, 'raised once per episode, not every evaluation');
    assert.ok(lines.some((l) => l.startsWith('<2>tresor-alert ') && JSON.parse(l.slice(16)).rule === 'requestOverdue'), lines.join('\n'));
    const hook = received.find((r) => JSON.parse(r.body).rule === 'requestOverdue')!;
    assert.ok(hook);
    assert.equal(hook.sig, `sha256=${createHmac('sha256', secret).update(hook.body).digest('hex')}`);
    assert.deepEqual(Object.keys(JSON.parse(hook.body)), ['rule', 'severity', 'at', 'detail']);
    assert.equal(site.store.alerts.get(overdue.id)!.deliveries.webhook!.ok, true);
    await acknowledgeAlert(site.store, site.log, overdue.id, 'user:dora');
    assert.equal(site.store.alerts.get(overdue.id)!.state, 'acknowledged');
    // the request is answered: the next evaluation clears the episode
    await site.store.tx(() => site.store.requests.put({ ...site.store.requests.get(req.id)!, state: 'answered', closedAt: Date.now() }));
    const t3 = await alerts.evaluateNow();
    assert.ok(t3.some((t) => t.event === 'cleared' && t.row.id === overdue.id));
    const actions = site.log.entries(0, site.log.size()).filter((e) => e.action.startsWith('alert.')).map((e) => e.action);
    assert.ok(actions.includes('alert.raised') && actions.includes('alert.acknowledged') && actions.includes('alert.cleared'), actions.join());
    for (const e of site.log.entries(0, site.log.size()).filter((x) => x.action.startsWith('alert.'))) assert.doesNotMatch(JSON.stringify(e), /301234567/);
    await alerts.stop();
    // the CLI reads the same table (async helper: this process holds the site open)
    const all = await cli(config, ['alerts', 'list', '--all', '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.ok((JSON.parse(all.stdout) as { id: string; state: string }[]).some((r) => r.id === overdue.id && r.state === 'cleared'));
  });

  test('a webhook that keeps failing is retried and the failure is recorded on the alert', async () => {
    const ch = webhookChannel({ url: 'http://127.0.0.1:1/closed', secret: 'x'.repeat(16), attempts: 3, backoffMs: 5 });
    await assert.rejects(ch.send({ event: 'raised', id: 'X', rule: 'r', severity: 'warning', subject: null, at: new Date().toISOString(), detail: {} }), (e: Error & { attempts?: number }) => e.attempts === 3);
  });
});
