import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdirDurable, writeFileDurable } from '../src/core/durable.ts';

// Durable writes outside LMDB (issue 9 item 8): a temp file nobody else can pick, cleaned
// up when the write fails, and folders whose creation survives a power cut because their
// parent is fsynced. fsync cannot be seen from inside the process, so the tests that need
// it watch the system calls of a child process with strace.

const ROOT = resolve(import.meta.dirname, '..');
const canTrace = spawnSync('strace', ['-f', '--seccomp-bpf', '-e', 'trace=fsync', '-o', '/dev/null', 'true']).status === 0;
const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'tresor-durable-'));
}

/** Runs `node --import tsx ARGS` under strace (one file per thread, merged by time). */
async function traced(args: string[]): Promise<{ stdout: string; calls: string[] }> {
  const out = tmp();
  const prefix = join(out, 'st');
  const stdout = await new Promise<string>((res, rej) => execFile('strace',
    ['-f', '-ff', '-tt', '--seccomp-bpf', '-e', 'trace=mkdir,mkdirat,openat,fsync,fdatasync', '-o', prefix, process.execPath, '--import', 'tsx', ...args],
    { cwd: ROOT, maxBuffer: 1 << 24 }, (err, so, se) => (err ? rej(new Error(`${err.message}\n${se}`)) : res(so))));
  const calls = readdirSync(out).flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)).sort();
  rmSync(out, { recursive: true, force: true });
  return { stdout, calls };
}

/** True when, after `mkdir(dir)`, the directory holding it was opened and that fd fsynced. */
function parentFsyncedAfterMkdir(calls: string[], dir: string): boolean {
  const parent = resolve(dir, '..');
  const made = calls.findIndex((l) => /\bmkdir(at)?\(/.test(l) && l.includes(`"${dir}"`) && / = 0$/.test(l));
  if (made < 0) return false;
  for (let i = made + 1; i < calls.length; i++) {
    const m = new RegExp(`openat\\(AT_FDCWD, "${parent.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}", O_RDONLY[^)]*\\)\\s+= (\\d+)`).exec(calls[i]!);
    if (!m) continue;
    if (calls.slice(i + 1).some((l) => new RegExp(`\\bf(data)?sync\\(${m[1]}\\)\\s+= 0`).test(l))) return true;
  }
  return false;
}

test('writeFileDurable_two_writers_of_one_path_at_once_both_succeed_and_leave_no_temp_file', async () => {
  const dir = tmp();
  const path = join(dir, 'report.json');
  const a = Buffer.alloc(256 * 1024, 'a');
  const b = Buffer.alloc(256 * 1024, 'b');
  await Promise.all([writeFileDurable(path, a), writeFileDurable(path, b)]);
  const got = readFileSync(path);
  assert.ok(got.equals(a) || got.equals(b), 'the file is one whole write, never a mix');
  assert.deepEqual(readdirSync(dir), ['report.json']);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('writeFileDurable_on_a_full_disk_fails_E_DISK_FULL_and_leaves_no_temp_file', { skip: canMount ? false : 'needs root to mount a small tmpfs' }, async () => {
  const dir = tmp();
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir]);
  try {
    writeFileSync(join(dir, 'old'), 'kept');
    await assert.rejects(writeFileDurable(join(dir, 'old'), randomBytes(2 * 1024 * 1024)), (e: NodeJS.ErrnoException) => e.code === 'ENOSPC' || (e as { code?: string }).code === 'E_DISK_FULL');
    assert.deepEqual(readdirSync(dir), ['old'], 'no partial temp file');
    assert.equal(readFileSync(join(dir, 'old'), 'utf8'), 'kept', 'the old content is untouched');
  } finally {
    spawnSync('umount', ['-l', dir]);
  }
});

test('mkdirDurable_creates_missing_levels_and_fsyncs_each_parent', { skip: canTrace ? false : 'needs strace (apt-get install strace)' }, async () => {
  const base = tmp();
  const target = join(base, 'a', 'b');
  const script = `import { mkdirDurable } from './src/core/durable.ts'; await mkdirDurable(${JSON.stringify(target)});`;
  const { calls } = await traced(['--input-type=module', '-e', script]);
  assert.equal(statSync(target).mode & 0o777, 0o700);
  assert.ok(parentFsyncedAfterMkdir(calls, join(base, 'a')), 'base fsynced after creating a/');
  assert.ok(parentFsyncedAfterMkdir(calls, target), 'a/ fsynced after creating b/');
  // an existing folder is fine
  await mkdirDurable(target);
  mkdirSync(join(base, 'c'));
  await mkdirDurable(join(base, 'c'));
});

test('quarantine_fsyncs_the_parent_after_creating_its_folder', { skip: canTrace ? false : 'needs strace (apt-get install strace)', timeout: 120_000 }, async () => {
  const base = tmp();
  const dataDir = join(base, 'data');
  const file = join(base, 'in-4930123456-015112345678-20261127-142501-1.wav');
  writeFileSync(file, randomBytes(4096)); // not audio: quarantined
  const { stdout, calls } = await traced(['test/fixtures/ingest-child.ts', dataDir, file]);
  const o = JSON.parse(stdout) as { status: string; quarantineId: string };
  assert.equal(o.status, 'quarantined');
  const qdir = join(dataDir, 'quarantine', o.quarantineId);
  assert.ok(parentFsyncedAfterMkdir(calls, join(dataDir, 'quarantine')), 'the data dir fsynced after creating quarantine/');
  assert.ok(parentFsyncedAfterMkdir(calls, qdir), 'quarantine/ fsynced after creating the entry folder');
});
