// Compaction throughput against a plain file copy of the same segments, in one run.
//
//   node --import tsx scripts/bench-compact.ts [--mib 200] [--record-kib 1024]
//
// Builds segments with ~MIB MiB of records through the real archive (random payloads,
// committed with index rows like the ingest's), closes them, shreds every other record the
// way a purge does (50 % dead), then times (a) fs.copyFile + fsync of every segment file
// and (b) compactArchive (copy of the live half, fsync, read back + SHA-256 check, one
// commit, unlink). Throughput is measured on the bytes each one reads: (a) the whole files,
// (b) the live records it copies; the goal is compaction ≥ 0.5× plain copy.
import { copyFile, open } from 'node:fs/promises';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultConfig } from '../src/config/index.ts';
import { openSite } from '../src/site/open.ts';
import { openArchive, type RecordLocation } from '../src/archive/index.ts';
import type { RecordingRow } from '../src/store/index.ts';
import { compactArchive } from '../src/archive/compact.ts';
import { newId } from '../src/core/ids.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const MIB = arg('mib', 200);
const RECORD = arg('record-kib', 1024) * 1024;

const dir = mkdtempSync(join(tmpdir(), 'tresor-bench-compact-'));
const config = defaultConfig();
config.dataDir = join(dir, 'data');
const say = (s: string) => process.stderr.write(s + '\n');

async function main(): Promise<void> {
  const site = openSite(config, { create: true });
  // 64 MiB segments: several files, as on a real box (1 GiB there)
  const archive = openArchive(config.dataDir, site.store, { maxSegmentBytes: 64 * 1024 * 1024 });
  const n = Math.ceil((MIB * 1024 * 1024) / RECORD);
  const ids: string[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = newId();
    const payload = randomBytes(RECORD);
    await archive.append(id, payload, (loc) => {
      site.store.recordings.put(benchRow(id, loc));
    });
    ids.push(id);
  }
  await archive.close();
  say(`built ${n} records of ${RECORD / 1024} KiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await site.store.tx(() => {
    for (let i = 0; i < ids.length; i += 2) site.store.recordings.drop(ids[i]!);
  });

  const adir = join(config.dataDir, 'archive');
  const files = readdirSync(adir).filter((f) => f.endsWith('.tsa'));
  const total = files.reduce((s, f) => s + statSync(join(adir, f)).size, 0);

  // (a) plain copy + fsync of the same files (page cache as warm as for compaction)
  const cdir = join(dir, 'copy');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(cdir);
  const c0 = performance.now();
  for (const f of files) {
    await copyFile(join(adir, f), join(cdir, f));
    const fh = await open(join(cdir, f), 'r+');
    await fh.sync();
    await fh.close();
  }
  const copySecs = (performance.now() - c0) / 1000;
  rmSync(cdir, { recursive: true, force: true });

  // (b) compaction
  const phases: Record<string, number> = {};
  let last = performance.now();
  let lastPhase = 'start';
  const r = await compactArchive({
    dataDir: config.dataDir, store: site.store, log: site.log, actor: 'cli:bench', minDeadRatio: 0.2,
    onProgress(p) {
      const now = performance.now();
      phases[lastPhase] = +(((phases[lastPhase] ?? 0) + (now - last) / 1000).toFixed(3));
      last = now;
      lastPhase = p.phase;
    },
  });
  await site.close();
  const copyMBs = total / 1048576 / copySecs;
  const compactReadMBs = r.bytesAfter / 1048576 / r.seconds;
  const compactInMBs = r.bytesBefore / 1048576 / r.seconds;
  const out = {
    segments: files.length, archiveMiB: +(total / 1048576).toFixed(1), deadRatio: 0.5,
    plainCopy: { seconds: +copySecs.toFixed(3), MiBps: +copyMBs.toFixed(0) },
    compaction: {
      seconds: r.seconds, recordsMoved: r.recordsMoved, bytesBefore: r.bytesBefore, bytesAfter: r.bytesAfter,
      liveMiBps: +compactReadMBs.toFixed(0), segmentMiBps: +compactInMBs.toFixed(0),
    },
    phaseSeconds: phases,
    ratioLiveBytes: +(compactReadMBs / copyMBs).toFixed(2),
    ratioSegmentBytes: +(compactInMBs / copyMBs).toFixed(2),
    goal: 'compaction throughput ≥ 0.5× plain copy',
  };
  console.log(JSON.stringify(out, null, 2));
  rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});

/** A recording row for bytes that are no audio: only where they live matters to compaction. */
function benchRow(id: string, loc: RecordLocation): RecordingRow {
  return {
    v: 1, id, start: Date.now(), durationMs: 0, direction: 'in', queue: null, consentState: 'unknown', purpose: null, tags: [],
    channels: 1, sampleRate: 8000, sourceCodec: 'none', storedFormat: 'bench', storedBytes: loc.length, sourceSha256: id,
    sourceBytes: loc.length, ingestedAt: Date.now(), nameFormat: 'bench', startFromMtime: false, ...loc,
    personal: new Uint8Array(0), tokens: [],
  };
}
