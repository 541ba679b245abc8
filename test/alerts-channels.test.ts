import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { smtpChannel } from '../src/alerts/index.ts';

// Issue 14: alert mail reaches a real SMTP server on loopback — Debian's aiosmtpd
// (python3-aiosmtpd, installed by .ci/run), delivering into a Maildir we then read.
// Debian's own python3, not whichever python3 comes first on PATH.
const PY = '/usr/bin/python3';
const hasAiosmtpd = spawnSync(PY, ['-c', 'import aiosmtpd']).status === 0;
const skip = hasAiosmtpd ? false : 'aiosmtpd missing (apt-get install python3-aiosmtpd)';

const dirs: string[] = [];
let server: ChildProcess | null = null;
after(() => { server?.kill('SIGTERM'); for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no SMTP server on port ${port}`);
}

test('an_alert_mail_is_delivered_to_a_real_smtp_server_with_rule_severity_and_counts_but_no_number', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-smtp-'));
  dirs.push(dir);
  const maildir = join(dir, 'Maildir');
  const port = await freePort();
  server = spawn(PY, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: 'ignore' });
  await listening(port);

  const channel = smtpChannel({ host: '127.0.0.1', port, from: 'tresor@box.example', to: ['dpo@site.example'] });
  await channel.send({
    event: 'raised', id: '01JALERT00000000000000000A', rule: 'unusualAccess', severity: 'critical', subject: 'user:mallory',
    at: '2026-12-02T09:15:00.000Z', detail: { playsPerHour: 41, threshold: 30 },
  });

  const fresh = join(maildir, 'new');
  let files: string[] = [];
  for (let i = 0; i < 50 && files.length === 0; i++) {
    try { files = readdirSync(fresh); } catch { /* not created yet */ }
    if (!files.length) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(files.length, 1, 'one mail delivered');
  const mail = readFileSync(join(fresh, files[0]!), 'utf8');
  assert.match(mail, /^To: dpo@site\.example$/m);
  assert.match(mail, /^Subject: \[Tresor critical\] unusualAccess \(user:mallory\)$/m);
  assert.match(mail, /playsPerHour: 41/);
  assert.match(mail, /tresor alerts ack 01JALERT00000000000000000A/);
});

test('metrics_carry_alert_states_and_rule_inputs_as_counts_only', async () => {
  const { openSite } = await import('../src/site/open.ts');
  const { openRequest } = await import('../src/privacy/index.ts');
  const { createAlerts } = await import('../src/alerts/index.ts');
  const { healthRoutes } = await import('../src/web/routes/health.ts');
  const { testConfig } = await import('./helpers/site.ts');
  const config = testConfig();
  const site = openSite(config, { create: true });
  try {
    await openRequest({ store: site.store, log: site.log, keys: site.keys, phone: config.phone }, 'cli:test', { kind: 'access', number: '+49301234567', receivedAt: Date.now() - 40 * 86_400_000 });
    const alerts = createAlerts({ store: site.store, log: site.log, config, createdAt: Date.now(), live: () => ({ oldestWaitingSince: null, witnesses: [] }), channels: [] });
    await alerts.evaluateNow();
    const status = () => ({ scannerRunning: true, queue: { queued: 0, active: 0, done: {} }, recovery: { truncated: [], damaged: [], unknownFiles: [] }, rejected: [], deferred: [] });
    const app = healthRoutes({ site, config, ingestStatus: status as never, alerts });
    const text = await (await app.request('/metrics')).text();
    assert.match(text, /^tresor_alerts_active\{rule="requestOverdue",state="open"\} 1$/m);
    assert.match(text, /^tresor_alerts_active\{rule="unusualAccess",state="open"\} 0$/m);
    assert.match(text, /^tresor_alert_input_requests_overdue 1$/m);
    assert.match(text, /^tresor_alert_input_requests_open 1$/m);
    assert.doesNotMatch(text, /301234567|user:/);
    await alerts.stop();
  } finally {
    await site.close();
  }
});

test('the_dashboard_lists_open_alerts_and_a_dpo_acknowledges_one_a_supervisor_cannot', async () => {
  const { browser, makeUser, webSite } = await import('./helpers/web.ts');
  const { createAlerts } = await import('../src/alerts/index.ts');
  const { openRequest } = await import('../src/privacy/index.ts');
  let alerts: import('../src/alerts/index.ts').Alerts | undefined;
  const w = await webSite(undefined, undefined, (site, config) => {
    alerts = createAlerts({ store: site.store, log: site.log, config, createdAt: Date.now(), live: () => ({ oldestWaitingSince: null, witnesses: [] }), channels: [] });
    return { alerts };
  });
  try {
    await makeUser(w, 'dora', ['dpo']);
    await makeUser(w, 'sue', ['supervisor']);
    await openRequest({ store: w.site.store, log: w.site.log, keys: w.site.keys, phone: w.config.phone }, 'cli:test', { kind: 'access', number: '+49301234567', receivedAt: Date.now() - 40 * 86_400_000 });
    await alerts!.evaluateNow();
    const overdue = w.site.store.alerts.active().find((a) => a.rule === 'requestOverdue')!;
    assert.ok(overdue);

    const sue = browser(w);
    await sue.login('sue');
    const seen = await (await sue.get('/')).text();
    assert.match(seen, new RegExp(`id="alert-${overdue.id}"`));
    assert.doesNotMatch(seen, new RegExp(`/alerts/${overdue.id}/ack`), 'no acknowledge button for a supervisor');
    assert.equal((await sue.post(`/alerts/${overdue.id}/ack`)).status, 403);

    const dora = browser(w);
    await dora.login('dora');
    assert.match(await (await dora.get('/')).text(), new RegExp(`action="/alerts/${overdue.id}/ack"`));
    const ack = await dora.post(`/alerts/${overdue.id}/ack`);
    assert.equal(ack.status, 303);
    assert.equal(w.site.store.alerts.get(overdue.id)!.state, 'acknowledged');
    assert.match(await (await dora.get('/?done=alert-ack')).text(), /Alert acknowledged\.[\s\S]*acknowledged by user:dora/);
    const acked = w.site.log.entries(0, w.site.log.size()).filter((e) => e.action === 'alert.acknowledged');
    assert.deepEqual(acked.map((e) => e.actor), ['user:dora']);
  } finally {
    await alerts?.stop();
    await w.close();
  }
});

test('the_self_check_runs_fsck_and_log_verification_and_a_damaged_segment_raises_the_selfCheck_alert', async () => {
  const { webSite } = await import('./helpers/web.ts');
  const { createAlerts } = await import('../src/alerts/index.ts');
  const { fsck } = await import('../src/site/fsck.ts');
  const { openSync, writeSync, closeSync, readdirSync } = await import('node:fs');
  const w = await webSite();
  try {
    await w.ingestCall('in-4930123456-01511111-20261130-101500-1764251100.1.wav', { seconds: 1, source: 'noise' });
    // the composition src/service.ts wires: fsck (logs archive.checked first) and the whole log
    const selfCheck = async () => {
      const f = await fsck(w.site, w.archive, undefined, 'system:self-check');
      const v = await w.site.log.verifyAll();
      return { fsckProblems: f.problems.length, logProblems: v.problems.length };
    };
    const alerts = createAlerts({ store: w.site.store, log: w.site.log, config: w.config, createdAt: Date.now(), live: () => ({ oldestWaitingSince: null, witnesses: [] }), channels: [], selfCheck });
    const healthy = await alerts.runSelfCheck();
    assert.deepEqual([healthy.fsckProblems, healthy.logProblems, healthy.error], [0, 0, null]);
    assert.equal(w.site.store.alerts.active().filter((a) => a.rule === 'selfCheck').length, 0);

    const seg = readdirSync(join(w.config.dataDir, 'archive')).find((n) => !n.startsWith('.'))!;
    const fd = openSync(join(w.config.dataDir, 'archive', seg), 'r+');
    writeSync(fd, Buffer.from('XXSEG001'), 0, 8, 0);
    closeSync(fd);
    const damaged = await alerts.runSelfCheck();
    assert.ok(damaged.fsckProblems > 0, JSON.stringify(damaged));
    // runSelfCheck evaluates the rules at once: the alert is open now
    const open = w.site.store.alerts.active().filter((a) => a.rule === 'selfCheck');
    assert.equal(open.length, 1);
    assert.equal(open[0]!.severity, 'critical');
    assert.ok(w.site.log.entries(0, w.site.log.size()).some((e) => e.action === 'archive.checked' && e.actor === 'system:self-check'));
    await alerts.stop();
  } finally {
    await w.close();
  }
});
