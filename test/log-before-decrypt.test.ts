import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, readFileSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { makeAudio } from './helpers/audio.ts';
import { ingestSite, sidecarOf, source, type IngestSite } from './helpers/ingest.ts';
import { cli } from './helpers/site.ts';
import { fsck } from '../src/site/fsck.ts';
import { openSite } from '../src/site/open.ts';
import { quarantineDir, retryQuarantined } from '../src/ingest/quarantine.ts';
import type { LogEntry } from '../src/audit/entry.ts';

// Issue 10 item 4: every path that decrypts personal data appends its log entry first
// (DESIGN §1). Quarantine retry unsealed the original (name, sidecar, bytes) before any
// entry, and logged `quarantine.retried` only at the end, so a retry that failed while
// opening left no trace; fsck decrypted every recording and logged nothing at all.

const NAME = (n: number) => `external-4930123456-201-20261127-1015${String(n).padStart(2, '0')}-1732700100.${n}.wav`;

const all = (s: IngestSite): LogEntry[] => s.site.log.entries(0, s.site.log.size());

async function quarantined(s: IngestSite, n: number): Promise<string> {
  const path = await makeAudio(s.work(), NAME(n), { format: 'wav-pcm8k', seconds: 2, source: 'noise', seed: n });
  writeFileSync(sidecarOf(path), JSON.stringify({ direction: 'sideways' }));
  const o = await s.ingest.ingestFile(source(path, sidecarOf(path)));
  assert.equal(o.status, 'quarantined', JSON.stringify(o));
  return (o as { quarantineId: string }).quarantineId;
}

function retryDeps(s: IngestSite) {
  return { dataDir: s.config.dataDir, store: s.site.store, keys: s.site.keys, log: s.site.log, actor: 'cli:test', ingestFile: s.ingest.ingestFile };
}

test('quarantine_retry_logs_before_it_unseals_the_original_even_when_opening_then_fails', async () => {
  const s = await ingestSite((c) => (c.ingest.disposition = 'delete'));
  try {
    const qid = await quarantined(s, 1);
    const from = s.site.log.size();
    const r = await retryQuarantined(retryDeps(s), qid, { sidecar: Buffer.from(JSON.stringify({ direction: 'inbound' })) });
    assert.equal(r.outcome, 'archived', JSON.stringify(r));
    const run = all(s).slice(from);
    const opened = run.find((e) => e.action === 'quarantine.opened' && e.target === `quarantine:${qid}`);
    assert.ok(opened, `a log entry before the unsealing: ${run.map((e) => e.action).join(', ')}`);
    assert.equal(opened.actor, 'cli:test');
    assert.equal(opened.seq, from, 'the retry\'s first entry: before anything it decrypted went anywhere');
    for (const a of ['quarantine.retried', 'recording.ingested']) {
      const later = run.find((e) => e.action === a);
      assert.ok(later && later.seq > opened.seq, `${a} comes after the opening`);
    }
    assert.ok(!JSON.stringify(opened).includes('4930123456'), 'no personal data in the entry');

    // the sealed original damaged: opening fails, and the attempt is in the log all the same
    const bad = await quarantined(s, 2);
    const file = join(quarantineDir(s.config.dataDir), bad, 'original.tsq');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([readFileSync(file)[100]! ^ 0xff]), 0, 1, 100);
    closeSync(fd);
    const before = s.site.log.size();
    await assert.rejects(retryQuarantined(retryDeps(s), bad), (e: { code?: string }) => e.code === 'E_CRYPTO');
    const tried = all(s).slice(before);
    assert.deepEqual(tried.map((e) => [e.action, e.target]), [['quarantine.opened', `quarantine:${bad}`]]);
    // an entry that is not there is refused before anything is logged or opened
    const n = s.site.log.size();
    await assert.rejects(retryQuarantined(retryDeps(s), '01JZZZZZZZZZZZZZZZZZZZZZZZ'), (e: { code?: string }) => e.code === 'E_NOT_FOUND');
    assert.equal(s.site.log.size(), n);
  } finally {
    await s.close();
  }
});

test('fsck_logs_one_archive_checked_entry_before_it_opens_anything_in_process_and_from_the_cli', async () => {
  const s = await ingestSite();
  const path = await makeAudio(s.work(), NAME(3), { format: 'wav-pcm8k', seconds: 2, source: 'noise', seed: 3 });
  assert.equal((await s.ingest.ingestFile(source(path))).status, 'archived');
  try {
    const from = s.site.log.size();
    assert.deepEqual((await fsck(s.site, s.archive)).problems, []);
    const run = all(s).slice(from);
    assert.deepEqual(run.map((e) => e.action), ['archive.checked'], 'one entry per run');
    assert.equal(run[0]!.target, 'archive');
    assert.equal(run[0]!.detail.recordings, 1);

    // a data key that does not unwrap: fsck reports it, and the entry was written first
    const id = [...s.site.store.recordings.ids()][0]!;
    const w = s.site.store.keys.get(id)!;
    await s.site.store.tx(() => s.site.store.keys.put(id, { ...w, box: new Uint8Array(w.box.length) }));
    const n = s.site.log.size();
    const r = await fsck(s.site, s.archive);
    assert.equal(r.problems.length, 1, r.problems.join('\n'));
    assert.match(r.problems[0]!, /does not unwrap/);
    assert.deepEqual(all(s).slice(n).map((e) => e.action), ['archive.checked']);
    await s.site.store.tx(() => s.site.store.keys.put(id, w));
  } finally {
    await s.close();
  }

  // the CLI's fsck writes nothing but that entry (no recovery, no upgrades) and names its user
  const out = await cli(s.config, ['fsck']);
  assert.equal(out.code, 0, out.stdout + out.stderr);
  const site = openSite(s.config);
  try {
    const last = site.log.entries(site.log.size() - 1, site.log.size())[0]!;
    assert.equal(last.action, 'archive.checked');
    assert.match(last.actor, /^cli:/);
  } finally {
    await site.close();
  }
});
