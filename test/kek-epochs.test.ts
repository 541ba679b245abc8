import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers/site.ts';
import { webSite } from './helpers/web.ts';
import { openSite } from '../src/site/open.ts';
import type { SiteMeta } from '../src/store/index.ts';
import { openIndex } from '../src/store/index.ts';
import { rotateKeys } from '../src/site/rotate-keys.ts';
import { isTresorError } from '../src/core/errors.ts';
import type { Config } from '../src/config/index.ts';

// Issue 9, item 8: a kek file with an extra, higher epoch appended was accepted silently
// (new recordings would then be sealed under a key nobody backed up), and an interrupted
// key rotation's refusal blamed the key file instead of saying to run the rotation again.

function copySite(config: Config): Config {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-kek-'));
  cpSync(config.dataDir, join(dir, 'data'), { recursive: true });
  rmSync(join(dir, 'data', 'index', 'lock.mdb'), { force: true });
  return { ...config, dataDir: join(dir, 'data'), inbox: join(dir, 'inbox') };
}

describe('KEK epochs', () => {
  let base: Config;
  before(async () => {
    const w = await webSite();
    await w.ingestCall('in-4930123456-015120000001-20250301-101500-1764250001.1.wav', { seconds: 1 });
    await w.close();
    base = w.config;
  });

  it('kek_file_with_an_unknown_higher_epoch_appended_is_refused_before_anything_is_sealed_with_it', async () => {
    const c = copySite(base);
    const kek = join(c.dataDir, 'keys', 'kek');
    const before = readFileSync(kek, 'utf8');
    appendFileSync(kek, `2 ${randomBytes(32).toString('base64')}\n`);
    assert.throws(() => openSite(c), (e) => isTresorError(e, 'E_KEYS_INVALID') && /epoch 2/.test(e.message) && /not one this archive knows/.test(e.message));
    const r = await cli(c, ['status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /E_KEYS_INVALID: .*epoch 2 .*not one this archive knows/);
    // the same file with only the known epoch opens again
    writeFileSync(kek, before, { mode: 0o600 });
    await openSite(c).close();
  });

  it('kek_epoch_check_also_holds_for_an_archive_made_before_epochs_were_recorded', async () => {
    const c = copySite(base);
    const store = openIndex(c.dataDir);
    const { kekEpochs: _gone, ...legacy }: SiteMeta = store.meta.site()!;
    await store.tx(() => store.meta.putSite(legacy));
    await store.close();
    const kek = join(c.dataDir, 'keys', 'kek');
    const before = readFileSync(kek, 'utf8');
    appendFileSync(kek, `7 ${randomBytes(32).toString('base64')}\n`);
    assert.throws(() => openSite(c), (e) => isTresorError(e, 'E_KEYS_INVALID') && /epoch 7/.test(e.message));
    writeFileSync(kek, before, { mode: 0o600 });
    const s = openSite(c);
    assert.deepEqual(Object.keys(s.meta.kekEpochs ?? {}), ['1'], 'recorded at the first open');
    await s.close();
  });

  it('kek_epochs_added_by_a_rotation_are_known_and_a_restored_old_kek_file_is_still_refused', async () => {
    const c = copySite(base);
    const oldKek = readFileSync(join(c.dataDir, 'keys', 'kek'), 'utf8');
    await rotateKeys(c, { actor: 'cli:test', compactIndex: false });
    const s = openSite(c);
    assert.deepEqual(s.keys.epochs, [2]);
    await s.close();
    writeFileSync(join(c.dataDir, 'keys', 'kek'), oldKek, { mode: 0o600 });
    assert.throws(() => openSite(c), (e) => isTresorError(e, 'E_KEYS_INVALID'));
  });

  it('interrupted_key_rotation_says_run_tresor_keys_rotate_again_not_that_the_key_file_is_wrong', async () => {
    const c = copySite(base);
    await assert.rejects(rotateKeys(c, { actor: 'cli:test', fault: (p) => { if (p === 'switched') throw new Error('power cut'); } }), /power cut/);
    assert.throws(() => openSite(c), (e) => {
      assert.ok(isTresorError(e, 'E_ROTATION_UNFINISHED'), String(e));
      assert.match(e.message, /key rotation to epoch 2 was interrupted/);
      assert.match(e.message, /run `tresor keys rotate` again/);
      assert.doesNotMatch(e.message, /is not the one this archive was created with/);
      return true;
    });
    const r = await cli(c, ['serve']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /E_ROTATION_UNFINISHED: .*run `tresor keys rotate` again/);
    const again = await cli(c, ['keys', 'rotate', '--skip-index-compaction']);
    assert.equal(again.code, 0, again.stderr);
    await openSite(c).close();
  });
});
