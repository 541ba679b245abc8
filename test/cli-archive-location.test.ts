import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { runTresor, TRESOR } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';
import { loadConfig, SYSTEM_CONFIG } from '../src/config/index.ts';

// Issue 9, item 14: `scripts/tresor status` run from another folder made a new empty
// ./data with fresh keys. Only `serve` and `tresor init` create an archive; every other
// command finds the configured one or says where it looked and stops.

const noSystemConfig = existsSync('/etc/tresor/tresor.json') ? 'this machine has /etc/tresor/tresor.json (an installed box): the CLI would use it' : false;

/** the environment of a shell with no Tresor settings at all */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('TRESOR_') && k !== 'TRESOR_TEST') delete env[k];
  return { ...env, ...extra };
}

test('cli_commands_outside_an_archive_say_where_they_looked_and_create_nothing', { skip: noSystemConfig }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'tresor-elsewhere-'));
  writeFileSync(join(cwd, 'call.wav'), 'not really audio');
  for (const args of [['status'], ['list'], ['fsck'], ['ingest', 'call.wav'], ['user', 'list'], ['audit', 'verify']]) {
    const r = await runTresor(args, { env: bareEnv(), cwd });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /E_NO_ARCHIVE: there is no archive in /, args.join(' '));
    assert.ok(r.stderr.includes(join(cwd, 'data')), `${args.join(' ')} names the folder: ${r.stderr}`);
    assert.match(r.stderr, /TRESOR_CONFIG is not set/);
    assert.match(r.stderr, /\/etc\/tresor\/tresor\.json does not exist/);
    assert.match(r.stderr, /TRESOR_DATA_DIR is not set/);
    assert.match(r.stderr, /tresor init/);
    assert.deepEqual(readdirSync(cwd), ['call.wav'], `${args.join(' ')} created nothing`);
  }
});

test('cli_init_creates_the_archive_once_and_other_commands_then_use_it', { skip: noSystemConfig }, async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'tresor-init-'));
  const r = await runTresor(['init'], { env: bareEnv(), cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`created an archive in ${join(cwd, 'data')}`));
  assert.match(r.stdout, /back them up/);
  assert.ok(existsSync(join(cwd, 'data', 'keys', 'kek')));
  const status = await runTresor(['status', '--json'], { env: bareEnv(), cwd });
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as { dataDir: string; recordings: number; log: { origin: string } };
  assert.equal(s.dataDir, join(cwd, 'data'));
  const again = await runTresor(['init'], { env: bareEnv(), cwd });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already an archive/);
  const after = JSON.parse((await runTresor(['status', '--json'], { env: bareEnv(), cwd })).stdout) as typeof s;
  assert.equal(after.log.origin, s.log.origin, 'the same archive, not a new one');
});

test('cli_finds_the_archive_named_by_the_config_file_from_any_folder', { skip: noSystemConfig }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-cfgd-'));
  const file = join(dir, 'tresor.json');
  writeFileSync(file, JSON.stringify({ dataDir: join(dir, 'archive-here') }));
  assert.equal((await runTresor(['init'], { env: bareEnv({ TRESOR_CONFIG: file }), cwd: tmpdir() })).code, 0);
  const elsewhere = mkdtempSync(join(tmpdir(), 'tresor-other-'));
  const r = await runTresor(['status', '--json'], { env: bareEnv({ TRESOR_CONFIG: file }), cwd: elsewhere });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { dataDir: string }).dataDir, join(dir, 'archive-here'));
  assert.deepEqual(readdirSync(elsewhere), []);
  // a configured folder with no archive in it: the message names the file it came from
  const file2 = join(dir, 'empty.json');
  writeFileSync(file2, JSON.stringify({ dataDir: join(dir, 'nothing-here') }));
  const n = await runTresor(['status'], { env: bareEnv({ TRESOR_CONFIG: file2 }), cwd: elsewhere });
  assert.equal(n.code, 1);
  assert.match(n.stderr, new RegExp(`there is no archive in ${join(dir, 'nothing-here')}`));
  assert.ok(n.stderr.includes(`dataDir from ${file2}`), n.stderr);
  assert.ok(!existsSync(join(dir, 'nothing-here')));
});

test('config_installed_box_reads_the_system_config_file_when_TRESOR_CONFIG_is_unset', () => {
  assert.equal(SYSTEM_CONFIG, '/etc/tresor/tresor.json');
  const dir = mkdtempSync(join(tmpdir(), 'tresor-etc-'));
  const sys = join(dir, 'tresor.json');
  writeFileSync(sys, JSON.stringify({ dataDir: '/var/lib/tresor', inbox: '/srv/pbx-recordings' }));
  const c = loadConfig({}, { systemConfig: sys });
  assert.equal(c.dataDir, '/var/lib/tresor');
  assert.equal(c.inbox, '/srv/pbx-recordings');
  const other = join(dir, 'other.json');
  writeFileSync(other, JSON.stringify({ dataDir: '/srv/x' }));
  assert.equal(loadConfig({ TRESOR_CONFIG: other }, { systemConfig: sys }).dataDir, '/srv/x', 'TRESOR_CONFIG wins');
  assert.equal(loadConfig({ TRESOR_DATA_DIR: '/srv/y' }, { systemConfig: sys }).dataDir, '/srv/y', 'the environment wins over both');
});

test('serve_on_embedded_defaults_still_creates_the_archive_in_./data', { skip: noSystemConfig, timeout: 60_000 }, async () => {
  // `npm ci && npm start` on a fresh checkout
  const cwd = mkdtempSync(join(tmpdir(), 'tresor-npmstart-'));
  mkdirSync(join(cwd, 'x'));
  const child = spawn(TRESOR, ['serve'], { env: bareEnv({ TRESOR_PORT: '0' }), cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  try {
    await waitFor('service up with its setup link', () => /setup\?token=/.test(err) || child.exitCode !== null, 30_000, 20);
    assert.equal(child.exitCode, null, err);
    assert.ok(existsSync(join(cwd, 'data', 'keys', 'kek')));
    assert.ok(existsSync(join(cwd, 'data', 'inbox')));
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
});
