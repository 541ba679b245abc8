// Issue 15, item 1: scripts/tresor runs a bundle from the compile cache (scripts/launch.mjs)
// and never a stale one. A copy of the checkout (its own cache key) is edited between runs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './helpers/site.ts';

test('cli_start_runs_the_cached_bundle_and_rebuilds_it_after_any_source_change', async () => {
  const copy = mkdtempSync(join(tmpdir(), 'tresor-checkout-'));
  for (const p of ['src', 'views', 'scripts', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, p), join(copy, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  const cache = join(copy, 'node_modules/.cache/tresor', createHash('sha256').update(`${copy}\0${process.version}`).digest('hex').slice(0, 16));
  const manifest = () => JSON.parse(readFileSync(join(cache, 'manifest.json'), 'utf8')) as { bundle: string; inputs: Record<string, string> };
  const { TRESOR_CONFIG: _c, ...env } = process.env;
  // the copy's own scripts/tresor (asynchronously: see test/helpers/site.ts runTresor)
  const help = async () => (await promisify(execFile)(join(copy, 'scripts/tresor'), ['--help'], { env: { ...env, TRESOR_DATA_DIR: join(copy, 'data') }, cwd: copy, timeout: 60_000 })).stdout;
  try {
    const first = await help();
    assert.match(first, /^usage: tresor <command>/);
    const built = manifest();
    assert.ok(existsSync(join(cache, built.bundle)), 'the first start built a bundle');
    assert.ok(Object.keys(built.inputs).includes('src/cli/main.ts') && Object.keys(built.inputs).includes('views/retention.ts'), 'inputs cover src and views');

    assert.match(await help(), /^usage: tresor <command>/);
    assert.equal(manifest().bundle, built.bundle, 'unchanged sources: the same bundle runs again');

    // a same-size edit: only the mtime tells; the old bundle must not run
    const file = join(copy, 'src/cli/main.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('usage: tresor <command>', 'USAGE: tresor <command>'));
    assert.match(await help(), /^USAGE: tresor <command>/);
    assert.notEqual(manifest().bundle, built.bundle, 'rebuilt');

    // an edit to a file the bundle imports (not the entry's module)
    const usage = join(copy, 'src/cli/table.ts');
    writeFileSync(usage, readFileSync(usage, 'utf8').replace('fsck                               check every record', 'fsck                               CHECK every record'));
    assert.match(await help(), /CHECK every record/);

    // under systemd the cache is CacheDirectory= ($CACHE_DIRECTORY), node_modules being read-only there
    const sysCache = mkdtempSync(join(tmpdir(), 'tresor-cachedir-'));
    try {
      const r = await promisify(execFile)(join(copy, 'scripts/tresor'), ['--help'], { env: { ...env, CACHE_DIRECTORY: sysCache }, cwd: copy, timeout: 60_000 });
      assert.match(r.stdout, /CHECK every record/);
      assert.ok(existsSync(join(sysCache, cache.slice(cache.lastIndexOf('/') + 1), 'manifest.json')), 'built into $CACHE_DIRECTORY');
    } finally {
      rmSync(sysCache, { recursive: true, force: true });
    }
  } finally {
    rmSync(copy, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  }
});
