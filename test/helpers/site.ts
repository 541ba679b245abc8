import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { defaultConfig, type Config } from '../../src/config/index.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
// TRESOR_TEST_CLI runs the CLI of another checkout: the code before a fix, to see its test fail
export const TRESOR = process.env.TRESOR_TEST_CLI ?? join(ROOT, 'scripts/tresor');

/** A fresh data dir + inbox with test-friendly timings (short settle, fast rescans). */
export function testConfig(over: Partial<Config['ingest']> = {}): Config {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-site-'));
  const c = defaultConfig();
  c.dataDir = join(dir, 'data');
  c.inbox = join(dir, 'inbox');
  c.port = 0;
  c.ingest = { ...c.ingest, settleSeconds: 0.2, scanIntervalSeconds: 0.1, workers: 2, ...over };
  c.media = { ...c.media, timeoutSeconds: 120, stallSeconds: 20 };
  mkdirSync(c.inbox, { recursive: true });
  return c;
}

/** Environment that makes the CLI/service see `c` (the config file holds what env cannot). */
export function envFor(c: Config, configFile: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TRESOR_CONFIG: configFile,
    TRESOR_DATA_DIR: c.dataDir,
    TRESOR_INBOX: c.inbox,
    TRESOR_PORT: String(c.port),
  };
}

export function configFile(c: Config): string {
  const file = join(c.dataDir, '..', 'tresor.json');
  const { dataDir: _d, inbox: _i, ...rest } = c;
  writeFileSync(file, JSON.stringify(rest));
  return file;
}

export interface CliResult {
  code: number;
  /** the signal that ended it (a fault-injection SIGKILL), or null */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs scripts/tresor asynchronously. Never spawnSync: a test that has a site or the
 * service open in this process would block lmdb-js's write thread while it holds LMDB's
 * writer lock, and the CLI would wait for that lock forever (issue 9, item 9).
 */
export function runTresor(args: string[], opts: { env: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(TRESOR, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.input ?? '');
    const limit = opts.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      stderr += `\n[test helper: tresor ${args.join(' ')} killed after ${limit} ms]`;
      child.kill('SIGKILL');
    }, limit);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
}

/** `tresor ARGS` against config `c` (asynchronous; see runTresor). */
export function cli(c: Config, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  return runTresor(args, { env: { ...envFor(c, configFile(c)), ...opts.env }, input: opts.input, timeoutMs: opts.timeoutMs });
}

// A service left running by a failed assertion keeps its pipes open and the test file's
// process alive forever (CI once hung for its whole time budget on that); every service a
// test starts is killed when the test process exits, whatever the outcome.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export function startServe(c: Config, extraEnv: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(TRESOR, ['serve'], { env: { ...envFor(c, configFile(c)), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}
