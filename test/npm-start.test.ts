// Issue 15, item 1: killing the PID of `npm start` stops the service (package.json execs
// scripts/tresor, so node is npm's own child and npm forwards the signal; a SIGKILLed npm
// forwards nothing, so the service notices it was orphaned and stops by itself).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import { configFile, envFor, ROOT, testConfig } from './helpers/site.ts';
import { waitFor } from './helpers/wait.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
  test(`npm_start_killed_with_${signal}_stops_the_service_too`, async () => {
    const c = testConfig();
    const npm = spawn('npm', ['start'], { cwd: ROOT, env: envFor(c, configFile(c)), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    npm.stderr!.on('data', (d) => (stderr += d));
    let service = 0;
    try {
      await waitFor('the console to listen', () => /console on http/.test(stderr), 60_000);
      const children = execFileSync('pgrep', ['-P', String(npm.pid)]).toString().trim().split('\n').map(Number);
      assert.equal(children.length, 1, 'one child: the service itself, no shell between');
      service = children[0]!;
      assert.match(execFileSync('ps', ['-o', 'args=', '-p', String(service)]).toString(), /^node .*(src\/main\.ts|scripts\/launch\.mjs) serve/);
      npm.kill(signal);
      await waitFor(`the service (pid ${service}) to stop`, () => !alive(service), 30_000);
      if (signal !== 'SIGKILL') assert.match(stderr, new RegExp(`${signal}: finishing files in progress`));
      else assert.match(stderr, /parent npm gone: finishing files in progress/);
    } finally {
      if (service && alive(service)) process.kill(service, 'SIGKILL');
      npm.kill('SIGKILL');
    }
  });
}
