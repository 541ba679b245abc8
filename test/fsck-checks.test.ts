import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/site.ts';
import { webSite } from './helpers/web.ts';
import { shred } from '../src/retention/purge.ts';
import type { Config } from '../src/config/index.ts';

// Issue 9, item 8: fsck passed a segment whose header magic was damaged, and reported 21
// false "orphan bytes" problems after a compaction killed right after its commit.

function copySite(config: Config): Config {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-fsck-'));
  cpSync(config.dataDir, join(dir, 'data'), { recursive: true });
  rmSync(join(dir, 'data', 'index', 'lock.mdb'), { force: true });
  return { ...config, dataDir: join(dir, 'data'), inbox: join(dir, 'inbox') };
}

describe('fsck', () => {
  let base: Config;
  before(async () => {
    // 6 calls in one (closed) segment, 4 of them purged for real: tombstones with the
    // dead bytes' place, as a purge leaves them until compaction
    const w = await webSite();
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) ids.push(await w.ingestCall(`in-4930123456-01512000000${i}-20250301-1${i}1500-176425000${i}.${i}.wav`, { seconds: 1 + i / 2, source: 'noise' }));
    const r = await shred({ store: w.site.store, log: w.site.log, dataDir: w.config.dataDir }, [ids[0]!, ids[2]!, ids[3]!, ids[5]!], { by: 'cli:test', now: Date.now(), reason: 'request', run: null });
    assert.equal(r.purged.length, 4);
    await w.close();
    base = w.config;
  });

  it('fsck_reports_a_segment_whose_header_magic_is_damaged', async () => {
    const c = copySite(base);
    const seg = readdirSync(join(c.dataDir, 'archive'))[0]!;
    const fd = openSync(join(c.dataDir, 'archive', seg), 'r+');
    writeSync(fd, Buffer.from('XXSEG001'), 0, 8, 0);
    closeSync(fd);
    const r = await cli(c, ['fsck']);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, new RegExp(`PROBLEM segment ${seg}: header damaged \\(magic "XXSEG001", expected "TRSEG001"\\)`));
  });

  it('fsck_after_a_compaction_killed_right_after_its_commit_is_clean_and_says_what_is_left_to_do', async () => {
    const c = copySite(base);
    const before = await cli(c, ['fsck']);
    assert.equal(before.code, 0, `purged records are accounted for by their tombstones: ${before.stdout}`);
    const k = await cli(c, ['compact', '--skip-index'], { env: { TRESOR_TEST_FAULT: 'compact:committed' } });
    assert.equal(k.signal, 'SIGKILL', k.stderr);
    // no service start (no recovery) in between: fsck must judge the state as it is
    const r = await cli(c, ['fsck']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /PROBLEM/);
    assert.match(r.stdout, /NOTE segment seg-[0-9A-Z]{26}\.tsa: compacted into seg-[0-9A-Z]{26}\.tsa; the old file is removed at the next start or compaction/);
    assert.match(r.stdout, /clean/);
  });
});
