#!/usr/bin/env node
// Runs every test file with node's own test runner through tsx.
// Node 20's `--test` takes no globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const only = process.argv.slice(2);
const files = only.length ? only : [...find('src'), ...find('test')].sort();
// --test-force-exit: a test that leaves a handle open (a service, a socket) must fail
// its own file, not keep the whole run waiting until CI's time budget is gone.
// --test-timeout: no single test may run longer than ten minutes.
// The whole run is bounded too, and says so instead of being killed silently.
const LIMIT_MIN = Number(process.env.TRESOR_TEST_LIMIT_MIN ?? 60);
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-force-exit', '--test-timeout=600000', ...files],
  { stdio: 'inherit', env: { ...process.env, TRESOR_TEST: '1' }, timeout: LIMIT_MIN * 60_000, killSignal: 'SIGKILL' },
);
if (r.error) console.error(`run-tests: ${r.error.message} (limit ${LIMIT_MIN} min, TRESOR_TEST_LIMIT_MIN)`);
process.exit(r.status ?? 1);
