import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { cli, configFile, envFor, ROOT, testConfig, TRESOR } from './helpers/site.ts';
import { openSite } from '../src/site/open.ts';

// Issue 9, item 9: the suite hung now and then because a test ran the service in-process
// and called the CLI with spawnSync. lmdb-js's write thread holds LMDB's writer mutex while
// it waits for the (blocked) main thread to run the transaction's callback, so the CLI's
// logged search waited for the lock forever, silently.

test('cli_waiting_for_the_index_writer_lock_says_so_on_stderr_and_goes_on_when_it_is_free', { timeout: 60_000 }, async () => {
  const c = testConfig();
  await openSite(c, { create: true }).close();
  const holder = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/fixtures/hold-writer-lock.ts'), c.dataDir, '6000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let said = '';
  holder.stdout!.on('data', (d) => (said += d));
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', () => /locked/.test(said) && resolve());
      holder.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)));
    });
    const t0 = Date.now();
    // `list` logs the search, so it needs the writer lock
    const r = await cli(c, ['list', '--json']);
    const took = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`waiting for the index's write lock \\(\\d+ s\\); process\\(es\\) ${holder.pid} have the index open`));
    assert.match(said, /released/, 'it finished only once the lock was free');
    assert.ok(took >= 3000, `took ${took} ms`);
  } finally {
    if (holder.exitCode === null && holder.signalCode === null) {
      holder.kill('SIGKILL');
      await once(holder, 'exit');
    }
  }
});

test('cli_helper_does_not_block_the_test_process_while_the_command_runs', async () => {
  // what made the hang possible: a blocked event loop in the test process
  const c = testConfig();
  let ticks = 0;
  const t = setInterval(() => ticks++, 20);
  try {
    const r = await cli(c, ['help']);
    assert.equal(r.code, 0);
  } finally {
    clearInterval(t);
  }
  assert.ok(ticks > 3, `the event loop ran ${ticks} times while the CLI ran`);
});

test('no_test_runs_the_tresor_cli_synchronously', () => {
  // spawnSync/execFileSync of scripts/tresor blocks the test's event loop; with a site open
  // in the same process that can deadlock on LMDB's writer lock (see above)
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && p !== import.meta.filename) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/(?:spawnSync|execFileSync|execSync)\(\s*(TRESOR|[^,)]*tresor[^,)]*)/g)) offenders.push(`${p.slice(ROOT.length + 1)}: ${m[0]}`);
      }
    }
  };
  walk(join(ROOT, 'test'));
  assert.deepEqual(offenders, []);
});
