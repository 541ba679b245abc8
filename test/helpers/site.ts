import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { defaultConfig, type Config } from '../../src/config/index.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const TRESOR = join(ROOT, 'scripts/tresor');

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

export function cli(c: Config, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(TRESOR, args, { env: envFor(c, configFile(c)), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
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
