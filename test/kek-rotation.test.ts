import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { webSite } from './helpers/web.ts';
import { cli, startServe, testConfig } from './helpers/site.ts';
import { makeHostile } from './helpers/audio.ts';
import { openSite } from '../src/site/open.ts';
import { fsck } from '../src/site/fsck.ts';
import { rotateKeys } from '../src/site/rotate-keys.ts';
import { openArchive } from '../src/archive/index.ts';
import { createAccess } from '../src/access/index.ts';
import { cliPrincipal } from '../src/auth/index.ts';
import { createIngest } from '../src/ingest/pipeline.ts';
import { ingestGates } from '../src/site/wire.ts';
import { openQuarantined } from '../src/ingest/quarantine.ts';
import { dropRecording, getRecording } from '../src/store/index.ts';
import { ROTATE_FAULT_POINTS, type WrappedDek } from '../src/crypto/index.ts';
import { isTresorError } from '../src/core/errors.ts';
import type { Config } from '../src/config/index.ts';
import type { PurgedRow } from '../src/store/index.ts';

// KEK rotation on a real archive: every DEK (recordings and quarantine) is rewrapped under
// a new epoch, the old epochs leave the kek file, a wrapped DEK saved before a purge no
// longer opens, the service starts on the rotated keys, and an interrupted rotation
// resumes.

const P = cliPrincipal('cli:test');

interface Base {
  config: Config;
  live: string[];
  purged: string;
  quarantineId: string;
  /** the purged recording's wrapped DEK as it was (what a free LMDB page may keep) */
  savedWrap: WrappedDek;
  audio: Map<string, Buffer>;
  quarantined: Buffer;
}

function copySite(config: Config): Config {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-copy-'));
  const r = spawnSync('cp', ['-a', config.dataDir, join(dir, 'data')]);
  assert.equal(r.status, 0, String(r.stderr));
  return { ...config, dataDir: join(dir, 'data') };
}

function kekEpochs(config: Config): number[] {
  return readFileSync(join(config.dataDir, 'keys', 'kek'), 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
}

async function check(config: Config, base: Base): Promise<void> {
  const site = openSite(config);
  const archive = openArchive(config.dataDir, site.store);
  try {
    const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });
    for (const id of base.live) assert.ok((await access.readAudio(P, id, 'recording.exported')).audio.equals(base.audio.get(id)!), id);
    const q = await openQuarantined({ dataDir: config.dataDir, store: site.store, keys: site.keys }, base.quarantineId);
    assert.ok(q.bytes.equals(base.quarantined));
    const epochs = new Set([...site.store.keys.getRange()].map((e) => (e.value as WrappedDek).epoch));
    assert.deepEqual([...epochs], [site.keys.currentEpoch], 'every DEK under the current epoch');
    assert.deepEqual(site.keys.epochs, [site.keys.currentEpoch], 'only the current epoch in the file');
    assert.throws(() => site.keys.unwrapDek(base.savedWrap), (e) => isTresorError(e, 'E_CRYPTO'));
    assert.deepEqual((await fsck(site, archive)).problems.filter((p) => !/orphan bytes/.test(p)), []);
    assert.deepEqual((await site.log.verifyAll()).problems, []);
    assert.equal(site.store.meta.kekRotation(), undefined, 'no rotation pending');
  } finally {
    await archive.close();
    await site.close();
  }
}

describe('KEK rotation', () => {
  let base: Base;
  before(async () => {
    const w = await webSite();
    const live = [await w.ingestCall('in-4930123456-015120000001-20250301-101500-1764250001.1.wav', { seconds: 3 })];
    live.push(await w.ingestCall('in-4930123456-015120000002-20250301-111500-1764250002.2.wav', { seconds: 5 }));
    const purged = await w.ingestCall('in-4930123456-015120000003-20250301-121500-1764250003.3.wav', { seconds: 4 });
    const dir = mkdtempSync(join(tmpdir(), 'tresor-bad-'));
    const name = 'in-4930123456-015120000004-20250301-131500-1764250004.4.wav';
    const path = await makeHostile(dir, name, 'random');
    const quarantined = readFileSync(path);
    const ingest = createIngest({ config: w.config, store: w.site.store, keys: w.site.keys, archive: w.archive, log: w.site.log, media: w.media, gates: ingestGates(w.config, w.site) });
    const o = await ingest.ingestFile({ path, relPath: name, sidecarPath: null });
    assert.equal(o.status, 'quarantined');
    const quarantineId = (o as { quarantineId: string }).quarantineId;
    assert.ok(w.site.store.keys.get(`q:${quarantineId}`), 'quarantine DEKs live in the same table');
    const audio = new Map<string, Buffer>();
    for (const id of live) audio.set(id, (await w.access.readAudio(P, id, 'recording.exported')).audio);
    const sw = w.site.store.keys.get(purged) as WrappedDek;
    const savedWrap = { epoch: sw.epoch, nonce: Buffer.from(sw.nonce), box: Buffer.from(sw.box) };
    assert.ok(w.site.keys.unwrapDek(savedWrap).length === 32);
    await w.site.store.tx(() => {
      w.site.store.keys.remove(purged);
      dropRecording(w.site.store, getRecording(w.site.store, purged)!);
      w.site.store.purged.put(oldTombstone(purged));
    });
    await w.close();
    base = { config: w.config, live, purged, quarantineId, savedWrap, audio, quarantined };
  });

  it('keys_rotate_cli_rewraps_every_dek_drops_old_epochs_and_the_service_starts_on_the_new_keys', async () => {
    const config = copySite(base.config);
    const fpBefore = (() => {
      const s = openSite(config);
      const f = s.meta.fingerprints.kek;
      void s.close();
      return f;
    })();
    assert.deepEqual(kekEpochs(config), [1]);
    const r = await cli(config, ['keys', 'rotate']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /epoch 1 → 2; 3 data key\(s\) rewrapped/);
    assert.match(r.stdout, /index compacted \(free pages dropped\)/);
    assert.deepEqual(kekEpochs(config), [2]);
    assert.equal(statSync(join(config.dataDir, 'keys', 'kek')).mode & 0o777, 0o600);
    await check(config, base);
    const site = openSite(config);
    try {
      assert.notEqual(site.meta.fingerprints.kek, fpBefore, 'the stored fingerprint follows the rotation');
      const e = site.log.entries(0, site.log.size()).filter((x) => x.action === 'keys.rotated');
      assert.equal(e.length, 1);
      assert.deepEqual(e[0]!.detail, { fromEpochs: [1], toEpoch: 2, rewrapped: 3 });
      assert.equal(e[0]!.actor.startsWith('cli:'), true);
    } finally {
      await site.close();
    }

    // the service starts on the rotated keys; while it runs, rotation and compaction refuse
    const child = startServe(config);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`service did not start: ${err}`)), 60_000);
      child.stderr!.on('data', () => {
        const m = /console on (http:\/\/\S+),/.exec(err);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
      child.once('exit', (code) => reject(new Error(`service exited ${code}: ${err}`)));
    });
    try {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const again = await cli(config, ['keys', 'rotate']);
      assert.equal(again.code, 2, again.stderr);
      assert.match(again.stderr, new RegExp(`process\\(es\\) ${child.pid} have its index open`));
      assert.deepEqual(kekEpochs(config), [2], 'nothing changed');
      const comp = await cli(config, ['compact']);
      assert.equal(comp.code, 2, comp.stderr);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    // a second rotation after the stop works, too
    const r2 = await cli(config, ['keys', 'rotate', '--skip-index-compaction']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.deepEqual(kekEpochs(config), [3]);
    assert.doesNotMatch(r2.stdout, /index compacted/);
    await check(config, base);
  });

  for (const point of ROTATE_FAULT_POINTS) {
    it(`keys_rotate_interrupted_at_${point}_resumes_and_loses_nothing`, async () => {
      const config = copySite(base.config);
      await assert.rejects(rotateKeys(config, {
        actor: 'cli:test', batchSize: 1,
        fault: (p) => {
          if (p === point) throw new Error(`crash at ${p}`);
        },
      }), new RegExp(`crash at ${point}`));
      if (point === 'switched') {
        // index switched, old epochs still in the file: the service refuses to start
        // until the rotation is finished
        assert.throws(() => openSite(config), (e) => isTresorError(e, 'E_ROTATION_UNFINISHED') && /run `tresor keys rotate` again/.test(e.message));
      } else {
        const s = openSite(config);
        await s.close();
      }
      const r = await rotateKeys(config, { actor: 'cli:test', compactIndex: false });
      assert.equal(r.resumed, true);
      assert.equal(r.to, 2);
      assert.equal(r.rewrapped, 3);
      assert.deepEqual(kekEpochs(config), [2]);
      await check(config, base);
      const s = openSite(config);
      try {
        assert.equal(s.log.entries(0, s.log.size()).filter((x) => x.action === 'keys.rotated').length, 1);
      } finally {
        await s.close();
      }
    });
  }

  it('keys_rotate_cli_killed_after_the_switch_is_finished_by_running_it_again', async () => {
    const config = copySite(base.config);
    const r = await cli(config, ['keys', 'rotate'], { env: { TRESOR_TEST_FAULT: 'keys:switched' } });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    const status = await cli(config, ['status']);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /E_ROTATION_UNFINISHED: a key rotation to epoch 2 was interrupted/);
    const again = await cli(config, ['keys', 'rotate']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /finishing the rotation to epoch 2 that was interrupted \(drop\)/);
    assert.match(again.stdout, /finished an interrupted rotation/);
    await check(config, base);
  });

  it('keys_rotate_refuses_systemd_credentials_with_instructions', async () => {
    const config = copySite(base.config);
    const cred = mkdtempSync(join(tmpdir(), 'tresor-cred-'));
    for (const n of ['kek', 'log-signing', 'index-secret']) copyFileSync(join(config.dataDir, 'keys', n), join(cred, `tresor-${n}`));
    const before = readFileSync(join(cred, 'tresor-kek'), 'utf8');
    await assert.rejects(rotateKeys(config, { actor: 'cli:test', env: { ...process.env, CREDENTIALS_DIRECTORY: cred } }),
      (e) => isTresorError(e, 'E_KEYS_INVALID') && /systemd credentials/.test(e.message) && /tresor keys rotate/.test(e.message));
    assert.equal(readFileSync(join(cred, 'tresor-kek'), 'utf8'), before);
    assert.deepEqual(kekEpochs(config), [1]);
  });

  it('keys_rotate_on_a_fresh_box_says_there_is_nothing_to_rotate', async () => {
    const c = testConfig();
    mkdirSync(c.dataDir, { recursive: true });
    await assert.rejects(rotateKeys(c, { actor: 'cli:test' }), /no archive/);
  });
});

/** A tombstone as an early version wrote it: no span of the dead bytes (fsck reports them as orphans). */
function oldTombstone(id: string): PurgedRow {
  return { id, purgedAt: Date.now(), policy: 'test', runId: 'test' } as unknown as PurgedRow;
}
