// Checks the appliance's systemd files with systemd's own tools, offline (no running
// systemd, no tresor user, no /opt/tresor needed).
// CI needs the `systemd` Debian package (it provides systemd-analyze, systemd-sysusers
// and systemd-tmpfiles; a minimal Debian 12 image ships only libsystemd0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const unitPath = join(root, 'systemd', 'tresor.service');
const unit = readFileSync(unitPath, 'utf8');
const MAX_EXPOSURE = 2.0;

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
const noAnalyze = which('systemd-analyze') ? false : 'systemd-analyze missing (Debian package: systemd)';
const isRoot = process.getuid?.() === 0;
const notRootSysusers = isRoot ? false : 'needs root: systemd-sysusers locks and writes passwd/group in a scratch --root';
const notRootTmpfiles = isRoot ? false : 'needs root: systemd-tmpfiles chowns to root in a scratch --root';

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0', LC_ALL: 'C' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Values of every `Key=` line of the unit (comments and continuation-free syntax only). */
function directives(key: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'tresor-systemd-'));
}

/**
 * A copy of the unit whose ExecStart points at an executable stub, because
 * `systemd-analyze verify` fails when the ExecStart binary does not exist and
 * /opt/tresor is not installed here. Everything else is verified as written.
 */
function unitWithStub(dir: string, text = unit, name = 'tresor.service'): string {
  const stub = join(dir, 'tresor');
  writeFileSync(stub, '#!/bin/sh\nexit 0\n');
  chmodSync(stub, 0o755);
  const p = join(dir, name);
  writeFileSync(p, text.replace(/^ExecStart=\/opt\/tresor\/scripts\/tresor /m, `ExecStart=${stub} `));
  return p;
}

function verify(file: string) {
  return run('systemd-analyze', ['verify', '--no-pager', file]);
}

test('unit_security_exposure_at_most_2', { skip: noAnalyze }, () => {
  const r = run('systemd-analyze', ['security', '--offline=true', '--no-pager', unitPath]);
  assert.equal(r.status, 0, r.stderr);
  const m = /Overall exposure level for tresor\.service: (\d+(?:\.\d+)?)/.exec(r.stdout);
  assert.ok(m?.[1], `no exposure level in output:\n${r.stdout}\n${r.stderr}`);
  const level = Number(m[1]);
  assert.ok(level <= MAX_EXPOSURE, `exposure ${level} > ${MAX_EXPOSURE}; failing checks:\n` +
    r.stdout.split('\n').filter((l) => l.startsWith('✗')).join('\n'));
});

test('unit_verify_reports_nothing', { skip: noAnalyze }, () => {
  const dir = scratch();
  try {
    const r = verify(unitWithStub(dir));
    // verify exits 0 even for unknown keys and unparsable values; it only prints them.
    // So any output at all is a failure.
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stdout + r.stderr).trim(), '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unit_verify_check_catches_a_typo', { skip: noAnalyze }, () => {
  // Proves the previous test can fail: a misspelt value must produce output.
  const dir = scratch();
  try {
    const broken = unit.replace(/^ProtectSystem=strict$/m, 'ProtectSystem=stritc');
    assert.notEqual(broken, unit);
    const r = verify(unitWithStub(dir, broken));
    assert.match(r.stdout + r.stderr, /protect system value/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unit_loads_the_three_credentials', () => {
  assert.deepEqual(directives('LoadCredential').sort(), [
    'tresor-index-secret:/etc/tresor/credentials/index-secret',
    'tresor-kek:/etc/tresor/credentials/kek',
    'tresor-log-signing:/etc/tresor/credentials/log-signing',
  ]);
});

test('unit_allows_node_jit', () => {
  // MemoryDenyWriteExecute=yes makes V8 abort at start-up.
  assert.doesNotMatch(unit, /^\s*MemoryDenyWriteExecute\s*=/m);
});

test('unit_runs_as_tresor_with_documented_paths', () => {
  assert.deepEqual(directives('ExecStart'), ['/opt/tresor/scripts/tresor serve']);
  assert.deepEqual(directives('User'), ['tresor']);
  assert.deepEqual(directives('DynamicUser'), []);
  assert.deepEqual(directives('StateDirectory'), ['tresor']);
  const env = directives('Environment');
  assert.ok(env.includes('TRESOR_DATA_DIR=/var/lib/tresor'), env.join(' '));
  assert.ok(env.includes('TRESOR_INBOX=/srv/pbx-recordings'), env.join(' '));
  // Sources are deleted after archiving, so the inbox must be writable.
  assert.deepEqual(directives('ReadWritePaths'), ['/srv/pbx-recordings']);
  // Node and ffmpeg survive only because refused calls return EPERM (see the unit).
  assert.deepEqual(directives('SystemCallErrorNumber'), ['EPERM']);
});

test('sysusers_creates_tresor_without_login', { skip: noAnalyze || notRootSysusers }, () => {
  const dir = scratch();
  try {
    mkdirSync(join(dir, 'etc'));
    mkdirSync(join(dir, 'usr/lib/sysusers.d'), { recursive: true });
    copyFileSync(join(root, 'systemd/tresor.sysusers.conf'), join(dir, 'usr/lib/sysusers.d/tresor.conf'));
    const r = run('systemd-sysusers', [`--root=${dir}`, 'tresor.conf']);
    assert.equal(r.status, 0, r.stderr);
    const passwd = readFileSync(join(dir, 'etc/passwd'), 'utf8');
    assert.match(passwd, /^tresor:x:\d+:\d+:[^:]*:\/var\/lib\/tresor:\/usr\/sbin\/nologin$/m);
    assert.match(readFileSync(join(dir, 'etc/group'), 'utf8'), /^tresor:x:\d+:/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tmpfiles_makes_credentials_dir_root_only', { skip: noAnalyze || notRootTmpfiles }, () => {
  const dir = scratch();
  try {
    mkdirSync(join(dir, 'usr/lib/tmpfiles.d'), { recursive: true });
    copyFileSync(join(root, 'systemd/tresor.tmpfiles.conf'), join(dir, 'usr/lib/tmpfiles.d/tresor.conf'));
    const r = run('systemd-tmpfiles', [`--root=${dir}`, '--create', 'tresor.conf']);
    assert.equal(r.status, 0, r.stderr);
    const st = statSync(join(dir, 'etc/tresor/credentials'));
    assert.equal(st.mode & 0o777, 0o700);
    assert.equal(st.uid, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('compact_unit_and_timer_verify_and_share_the_service_identity_keys_and_sandbox', { skip: noAnalyze }, () => {
  const dir = scratch();
  try {
    const compact = readFileSync(join(root, 'systemd', 'tresor-compact.service'), 'utf8');
    const p = unitWithStub(dir, compact, 'tresor-compact.service');
    writeFileSync(join(dir, 'tresor-compact.timer'), readFileSync(join(root, 'systemd', 'tresor-compact.timer'), 'utf8'));
    unitWithStub(dir, unit, 'tresor.service');
    const r = verify(p);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr.trim(), '', r.stderr);
    const t = verify(join(dir, 'tresor-compact.timer'));
    assert.equal(t.status, 0, t.stderr);
    // every identity, key, path and sandbox line of the service is in the compaction unit too
    const shared = (text: string) => text.split('\n').filter((l) => /^(User|Group|Environment|LoadCredential|StateDirectory|UMask|Protect|Private|ReadWritePaths|InaccessiblePaths|SystemCall|Restrict|CapabilityBoundingSet|NoNewPrivileges|IPAddress)/.test(l));
    assert.deepEqual(shared(compact), shared(unit));
    assert.match(compact, /^Conflicts=tresor\.service$/m);
    assert.match(compact, /^ExecStopPost=\+\/usr\/bin\/systemctl --no-block start tresor\.service$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
