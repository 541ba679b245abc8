import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { cli, testConfig } from './helpers/site.ts';
import { webSite } from './helpers/web.ts';
import { inspectIndexFile } from '../src/store/meta-page.ts';
import { openSite } from '../src/site/open.ts';
import { isTresorError } from '../src/core/errors.ts';
import { open as openLmdb } from 'lmdb';
import type { Config } from '../src/config/index.ts';

// Issue 9, item 6: a damaged index was a SIGBUS (exit 135, no word) or, truncated to 0
// bytes, silently a new archive (new site id, empty log) on top of the old segments and
// keys. Now: the index file is checked against its meta page before LMDB maps it, a lost
// index next to an archive is a fatal, explained state, and fsck changes nothing.

/** every file under dir (but LMDB's lock file, which every reader uses) → size, mtime, sha */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        out[relative(dir, p) + '/'] = 'dir';
        walk(p);
      } else if (e.name !== 'lock.mdb') {
        const st = statSync(p);
        out[relative(dir, p)] = `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * Every named database of the index but the log's derived ones (tree, logIndex), read
 * straight from LMDB, read-only, in a separate process's view of the file: name → entries
 * as JSON (the log: its lines).
 */
async function indexTables(config: Config): Promise<Record<string, string[]> & { log: string[] }> {
  const names = await (async () => {
    const site = openSite(config, { readOnly: true });
    try {
      return Object.keys(site.store).filter((n) => !['root', 'tx', 'txSync', 'close', 'tree', 'logIndex'].includes(n));
    } finally {
      await site.close();
    }
  })();
  const root = openLmdb({ path: join(config.dataDir, 'index'), readOnly: true, compression: false, maxDbs: 64 });
  try {
    const out: Record<string, string[]> = {};
    for (const name of names) {
      const db = root.openDB({ name, ...(name === 'log' ? { encoding: 'string' as const } : {}) });
      if (!db) continue;
      out[name] = [...db.getRange({})].map(({ key, value }) => (name === 'log' ? String(value) : JSON.stringify([key, value])));
    }
    return out as Record<string, string[]> & { log: string[] };
  } finally {
    await root.close();
  }
}

function copySite(config: Config): Config {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-damage-'));
  cpSync(config.dataDir, join(dir, 'data'), { recursive: true });
  rmSync(join(dir, 'data', 'index', 'lock.mdb'), { force: true });
  return { ...config, dataDir: join(dir, 'data'), inbox: join(dir, 'inbox') };
}

describe('a damaged index', () => {
  let base: Config;
  let siteId = '';
  let origin = '';
  let recordingId = '';
  before(async () => {
    const w = await webSite();
    recordingId = await w.ingestCall('in-4930123456-015112345678-20261127-142501-1764250000.1.wav', { seconds: 1 });
    // enough log entries that the index spans a few dozen pages
    for (let i = 0; i < 20; i++) await w.site.log.append(Array.from({ length: 50 }, (_, j) => ({ actor: 'cli:test', action: 'test.filler', target: `t-${i}-${j}`, detail: {} })));
    siteId = w.site.meta.id;
    origin = w.site.meta.origin;
    await w.close();
    base = w.config;
  });

  it('index_meta_page_check_pins_the_lmdb_layout_and_spots_every_cut', () => {
    const c = copySite(base);
    const path = join(c.dataDir, 'index', 'data.mdb');
    const ok = inspectIndexFile(c.dataDir);
    assert.equal(ok.kind, 'ok');
    if (ok.kind !== 'ok') return;
    assert.equal(ok.pageSize, 4096);
    assert.ok(ok.lastPage > 10, `last page ${ok.lastPage}`);
    assert.ok((ok.lastPage + 1) * ok.pageSize <= ok.fileBytes);
    for (const cut of [ok.fileBytes - 1, Math.floor(ok.fileBytes / 2), 3 * 4096, 5000, 100]) {
      truncateSync(path, cut);
      assert.throws(() => inspectIndexFile(c.dataDir), (e) => isTresorError(e, 'E_INDEX_DAMAGED') && /is damaged/.test(e.message), `cut to ${cut}`);
    }
    truncateSync(path, 0);
    assert.equal(inspectIndexFile(c.dataDir).kind, 'empty');
    rmSync(path);
    assert.equal(inspectIndexFile(c.dataDir).kind, 'missing');
  });

  it('index_cut_short_every_command_says_so_instead_of_dying_with_sigbus', async () => {
    const c = copySite(base);
    const path = join(c.dataDir, 'index', 'data.mdb');
    const size = statSync(path).size;
    truncateSync(path, Math.floor(size / 2 / 4096) * 4096);
    for (const args of [['status'], ['list'], ['fsck'], ['serve']]) {
      const r = await cli(c, args);
      assert.equal(r.signal, null, `${args[0]}: killed by ${r.signal} (exit ${r.code})`);
      assert.equal(r.code, 1, `${args[0]}: ${r.stderr}`);
      assert.match(r.stderr, /E_INDEX_DAMAGED: the index file .*data\.mdb is damaged: it is \d+ bytes, but its last transaction \(#\d+\) uses \d+ pages/, args[0]);
      assert.match(r.stderr, /tresor index rebuild/);
    }
    assert.equal(statSync(path).size, Math.floor(size / 2 / 4096) * 4096, 'nothing touched the file');
    assert.throws(() => openSite(c), (e) => isTresorError(e, 'E_INDEX_DAMAGED'));
  });

  for (const how of ['emptied', 'deleted'] as const) {
    it(`index_${how}_next_to_segments_and_keys_is_fatal_and_nothing_starts_over`, async () => {
      const c = copySite(base);
      const path = join(c.dataDir, 'index', 'data.mdb');
      if (how === 'emptied') truncateSync(path, 0);
      else rmSync(join(c.dataDir, 'index'), { recursive: true });
      const before = snapshot(c.dataDir);
      const commands = how === 'emptied' ? [['serve'], ['init'], ['fsck'], ['user', 'list']] : [['serve'], ['status']];
      for (const args of commands) {
        // (before the fix, serve started on a new empty archive and ran until killed)
        const r = await cli(c, args, { timeoutMs: 30_000 });
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`E_INDEX_DAMAGED: the index of the archive in ${c.dataDir} is ${how === 'emptied' ? 'empty' : 'missing'}`), args.join(' '));
        assert.match(r.stderr, /1 archive segment file\(s\) in archive\/, keys in keys\/ \(kek, log-signing, index-secret\)/);
        assert.match(r.stderr, /Restore the index folder from your backup/);
        assert.match(r.stderr, /tresor index rebuild/);
      }
      assert.deepEqual(snapshot(c.dataDir), before, 'no new index, no new site id, no new keys');
      assert.throws(() => openSite(c, { create: true }), (e) => isTresorError(e, 'E_INDEX_DAMAGED'));
      assert.ok(siteId);
    });
  }

  it('fsck_reads_only_it_never_creates_or_changes_anything', async () => {
    // a healthy archive: byte for byte the same afterwards, but for the one log entry fsck
    // writes before it decrypts anything (issue 10 item 4, DESIGN §1): every other file is
    // untouched, and in the index only the log grew, by exactly that entry
    const c = copySite(base);
    const before = snapshot(c.dataDir);
    const tables = await indexTables(c);
    const r = await cli(c, ['fsck']);
    assert.match(r.stdout, /checked 1 recordings/);
    const { 'index/data.mdb': _was, ...rest } = before;
    const { 'index/data.mdb': _now, ...restAfter } = snapshot(c.dataDir);
    assert.deepEqual(restAfter, rest);
    const after = await indexTables(c);
    assert.deepEqual(after.log.slice(0, -1), tables.log, 'the log as it was, plus one entry');
    assert.equal(after.log.length, tables.log.length + 1);
    assert.equal(JSON.parse(after.log.at(-1)!).action, 'archive.checked');
    assert.deepEqual({ ...after, log: [] }, { ...tables, log: [] }, 'nothing else in the index changed');
    // a data directory with nothing in it: nothing appears
    const empty = testConfig();
    const e = await cli(empty, ['fsck']);
    assert.equal(e.code, 1);
    assert.match(e.stderr, /E_NO_ARCHIVE/);
    assert.equal(existsSync(empty.dataDir), false, 'no data directory was created');
  });

  it('index_rebuild_reports_first_then_moves_the_unreadable_archive_aside_and_starts_a_new_index', async () => {
    const c = copySite(base);
    truncateSync(join(c.dataDir, 'index', 'data.mdb'), 0);
    const segBefore = readdirSync(join(c.dataDir, 'archive'));
    const segSum = createHash('sha256').update(readFileSync(join(c.dataDir, 'archive', segBefore[0]!))).digest('hex');
    const untouched = snapshot(c.dataDir);

    // without --confirm: what it found and what it would do, nothing changed
    const plan = await cli(c, ['index', 'rebuild']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /1 segment file\(s\) holding 1 recording\(s\)/);
    assert.match(plan.stdout, /cannot be decrypted/);
    assert.match(plan.stdout, /data key/);
    assert.match(plan.stdout, /Nothing changed/);
    assert.deepEqual(snapshot(c.dataDir), untouched);

    const r = await cli(c, ['index', 'rebuild', '--confirm']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lost = readdirSync(c.dataDir).filter((n) => n.startsWith('lost-'));
    assert.equal(lost.length, 1, readdirSync(c.dataDir).join(' '));
    const aside = join(c.dataDir, lost[0]!);
    assert.ok(r.stdout.includes(aside), r.stdout);
    // nothing deleted: the old segment (byte for byte) and the old index file are kept
    assert.equal(createHash('sha256').update(readFileSync(join(aside, 'archive', segBefore[0]!))).digest('hex'), segSum);
    assert.equal(statSync(join(aside, 'index', 'data.mdb')).size, 0);
    const inventory = JSON.parse(readFileSync(join(aside, 'inventory.json'), 'utf8')) as { segments: { name: string; records: { id: string }[] }[] };
    assert.deepEqual(inventory.segments.flatMap((x) => x.records.map((rec) => rec.id)), [recordingId]);
    assert.match(readFileSync(join(aside, 'README.txt'), 'utf8'), /cannot be decrypted/);

    // a working, empty archive with the same keys and a new log origin
    const status = await cli(c, ['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout) as { recordings: number; log: { origin: string; size: number } };
    assert.equal(s.recordings, 0);
    assert.notEqual(s.log.origin, origin, 'a new log never continues under the old origin');
    const fsck = await cli(c, ['fsck']);
    assert.equal(fsck.code, 0, fsck.stdout + fsck.stderr);
    const site = openSite(c);
    try {
      const e = site.log.entries(0, site.log.size()).find((x) => x.action === 'index.rebuilt');
      assert.ok(e, 'the rebuild is the new log\'s first word');
      assert.equal(e.detail.records, 1);
      assert.equal(e.detail.segments, 1);
      assert.notEqual(site.meta.id, siteId);
    } finally {
      await site.close();
    }
    // and it refuses on a healthy index
    const again = await cli(c, ['index', 'rebuild', '--confirm']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /the index .* is fine; there is nothing to rebuild/);
  });

  it('index_rebuild_takes_an_index_that_was_cut_short_aside_too', async () => {
    const c = copySite(base);
    const path = join(c.dataDir, 'index', 'data.mdb');
    const size = statSync(path).size;
    truncateSync(path, 8192);
    const r = await cli(c, ['index', 'rebuild', '--confirm']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /damaged/);
    const aside = readdirSync(c.dataDir).find((n) => n.startsWith('lost-'))!;
    assert.equal(statSync(join(c.dataDir, aside, 'index', 'data.mdb')).size, 8192);
    assert.ok(size > 8192);
    assert.equal((await cli(c, ['status'])).code, 0);
  });
});
