import { createHash } from 'node:crypto';
import { retentionAtIngest } from '../retention/clock-guard.ts';
import { constants as FS } from 'node:fs';
import { open as openFile, lstat, statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { newId } from '../core/ids.ts';
import { TresorError, fromSystemError, isTresorError } from '../core/errors.ts';
import { unlinkDurable, moveDurable } from '../core/durable.ts';
import type { CallMetadata, LogWriter } from '../core/types.ts';
import type { Config } from '../config/index.ts';
import { seal, type Keyring } from '../crypto/index.ts';
import { putRecording, recordingBySha, type IndexStore, type PersonalFields, type RecordingRow, type TokenRef } from '../index/index.ts';
import type { Archive } from '../archive/index.ts';
import { processAlive, processStartTime } from '../archive/index.ts';
import { sniffInput, SNIFF_BYTES, type Media } from '../media/index.ts';
import { parseSidecar } from './sidecar.ts';
import { buildMetadata } from './metadata.ts';
import { quarantine, quarantinedBySha } from './quarantine.ts';

export interface SourceFile {
  path: string;
  /** path below the inbox (or the bare name for CLI ingest); parsed for metadata */
  relPath: string;
  sidecarPath: string | null;
}

export type IngestOutcome =
  | { status: 'archived'; id: string; durationMs: number }
  | { status: 'duplicate'; id: string }
  | { status: 'quarantined'; quarantineId: string; code: string; message: string }
  /** left where it is: a fault of the box (disk full, time-out) or not ours to take */
  | { status: 'deferred'; code: string; message: string }
  | { status: 'rejected'; code: string; message: string }
  | { status: 'skipped'; reason: string };

export interface IngestDeps {
  config: Config;
  store: IndexStore;
  keys: Keyring;
  archive: Archive;
  log: LogWriter;
  media: Media;
  /** who the log names for this ingest: system:ingest, or cli:<user> */
  actor?: string;
}

interface InflightRow {
  pid: number;
  pidStart: string | null;
  startedAt: number;
  state: 'working' | 'committed' | 'kept';
  sha256?: string;
  id?: string;
  attempts: number;
  size?: number;
  mtimeMs?: number;
}

const MIB = 1024 * 1024;

export function createIngest(deps: IngestDeps) {
  const { config, store, keys, archive, log, media } = deps;
  const actor = deps.actor ?? 'system:ingest';
  const pidStart = processStartTime(process.pid);
  const qdeps = { dataDir: config.dataDir, store, keys, log, actor };
  const deferredLogged = new Set<string>();
  // Source paths carry phone numbers: the index keys them by a keyed hash, never in clear.
  const sourceKey = (path: string) => keys.token('source', path);

  /** Claims a source path across processes, so the service and a CLI never both take it. */
  function claim(path: string, size: number, mtimeMs: number): Promise<InflightRow | 'busy' | 'kept'> {
    return store.root.transaction(() => {
      const row = store.inflight.get(sourceKey(path)) as InflightRow | undefined;
      if (row?.state === 'kept' && row.size === size && row.mtimeMs === mtimeMs) return 'kept' as const;
      if (row && row.state === 'working' && row.pid !== process.pid && processAlive(row.pid, row.pidStart)) return 'busy' as const;
      const next: InflightRow = {
        pid: process.pid, pidStart, startedAt: Date.now(), state: row?.state === 'committed' ? 'committed' : 'working',
        sha256: row?.sha256, id: row?.id, attempts: row?.state === 'kept' ? 0 : row?.attempts ?? 0, size, mtimeMs,
      };
      store.inflight.put(sourceKey(path), next);
      return next;
    });
  }

  async function dispose(src: SourceFile, sha256: string, size: number, mtimeMs: number): Promise<void> {
    const mode = config.ingest.disposition;
    const files = [src.path, ...(src.sidecarPath ? [src.sidecarPath] : [])];
    if (mode === 'keep') {
      await store.root.transaction(() => store.inflight.put(sourceKey(src.path), {
        pid: 0, pidStart: null, startedAt: Date.now(), state: 'kept', sha256, attempts: 0, size, mtimeMs,
      } satisfies InflightRow));
      return;
    }
    for (const f of files) {
      if (mode === 'delete') await unlinkDurable(f);
      else await moveDurable(f, join(config.ingest.moveTo ?? join(config.dataDir, 'processed'), relOf(src, f)));
    }
    await store.inflight.remove(sourceKey(src.path));
  }

  function relOf(src: SourceFile, f: string): string {
    return f === src.path ? src.relPath : join(src.relPath, '..', basename(f));
  }

  async function readSource(path: string): Promise<{ bytes: Buffer; size: number; mtimeMs: number }> {
    const st = await lstat(path);
    if (!st.isFile()) {
      throw new TresorError('E_NOT_REGULAR_FILE', 'not a regular file (symlink, FIFO or device): never followed or opened');
    }
    if (st.size > config.ingest.maxFileMiB * MIB) {
      throw new TresorError('E_TOO_LARGE', `file is ${(st.size / MIB).toFixed(1)} MiB, over the ${config.ingest.maxFileMiB} MiB cap (ingest.maxFileMiB); left in the inbox`);
    }
    // O_NOFOLLOW|O_NONBLOCK: if the name was swapped for a link or FIFO since lstat,
    // opening fails or returns at once instead of following or blocking.
    const fh = await openFile(path, FS.O_RDONLY | FS.O_NOFOLLOW | FS.O_NONBLOCK);
    try {
      const st2 = await fh.stat();
      if (!st2.isFile() || st2.ino !== st.ino) throw new TresorError('E_NOT_REGULAR_FILE', 'file was replaced while being opened');
      return { bytes: await fh.readFile(), size: st2.size, mtimeMs: st2.mtimeMs };
    } finally {
      await fh.close();
    }
  }

  async function checkFreeSpace(need: number): Promise<void> {
    const s = await statfs(config.dataDir);
    const free = Number(s.bavail) * Number(s.bsize);
    if (free - need < config.ingest.minFreeMiB * MIB) {
      throw new TresorError('E_DISK_FULL',
        `the data disk is nearly full: ${(free / MIB).toFixed(0)} MiB free, this file needs ~${Math.ceil(need / MIB)} MiB plus the ${config.ingest.minFreeMiB} MiB reserve (ingest.minFreeMiB); source left in the inbox`,
        { retryable: true });
    }
  }

  function tokensOf(meta: CallMetadata): TokenRef[] {
    const t: TokenRef[] = [];
    for (const n of new Set([meta.from, meta.to].filter((x): x is string => !!x))) t.push({ kind: 'phone', token: keys.token('phone', n) });
    if (meta.agent) t.push({ kind: 'agent', token: keys.token('agent', meta.agent.trim().toLowerCase()) });
    if (meta.callId) t.push({ kind: 'callId', token: keys.token('callId', meta.callId) });
    return t;
  }

  async function ingestFile(src: SourceFile): Promise<IngestOutcome> {
    let read: Awaited<ReturnType<typeof readSource>>;
    try {
      read = await readSource(src.path);
    } catch (e) {
      const err = isTresorError(e) ? e : fromSystemError(e, 'cannot read source');
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'skipped', reason: 'source vanished before it was read' };
      if (err.code === 'E_NOT_REGULAR_FILE' || err.code === 'E_TOO_LARGE' || (e as NodeJS.ErrnoException).code === 'ELOOP') {
        await log.append([{ actor, action: 'inbox.rejected', target: 'inbox', detail: { code: err.code === 'E_IO' ? 'E_NOT_REGULAR_FILE' : err.code } }]);
        return { status: 'rejected', code: err.code === 'E_IO' ? 'E_NOT_REGULAR_FILE' : err.code, message: err.message };
      }
      return { status: 'deferred', code: err.code, message: err.message };
    }
    const claimed = await claim(src.path, read.size, read.mtimeMs);
    if (claimed === 'busy') return { status: 'skipped', reason: 'another Tresor process is ingesting this file' };
    if (claimed === 'kept') return { status: 'skipped', reason: 'already archived (disposition keep)' };

    const sha256 = await sha256Yielding(read.bytes);
    const existing = recordingBySha(store, sha256);
    if (existing) {
      // Same bytes already archived. If we stored them ourselves just before a crash
      // (committed, not yet disposed), finishing the disposal is the whole job.
      const ours = claimed.state === 'committed' && claimed.sha256 === sha256;
      if (!ours) {
        await log.append([{ actor, action: 'recording.duplicate', target: `recording:${existing}`, detail: { sourceSha256: sha256, sourceBytes: read.size } }]);
      }
      await dispose(src, sha256, read.size, read.mtimeMs);
      return { status: 'duplicate', id: existing };
    }
    const inQuarantine = read.size > 0 ? quarantinedBySha(store, sha256) : undefined;
    if (inQuarantine) {
      await log.append([{ actor, action: 'recording.duplicate', target: `quarantine:${inQuarantine}`, detail: { sourceSha256: sha256, sourceBytes: read.size } }]);
      await dispose(src, sha256, read.size, read.mtimeMs);
      return { status: 'duplicate', id: inQuarantine };
    }

    let sidecar: Buffer | null = null;
    try {
      if (src.sidecarPath) sidecar = (await readSource(src.sidecarPath)).bytes;
      return await archiveSource(src, read, sha256, sidecar, claimed);
    } catch (e) {
      const err = isTresorError(e) ? e : fromSystemError(e, 'ingest failed');
      const attempts = claimed.attempts + 1;
      const retry = err.retryable && (err.code === 'E_DISK_FULL' || attempts < config.ingest.maxAttempts);
      if (retry) {
        await store.root.transaction(() => store.inflight.put(sourceKey(src.path), { ...claimed, attempts, state: 'working', pid: 0 }));
        // One entry per file and cause, not one per rescan while the disk stays full.
        const key = `${src.path}\0${err.code}`;
        if (!deferredLogged.has(key)) {
          deferredLogged.add(key);
          // best effort: on a full disk the log may not be writable either
          await log.append([{ actor, action: 'ingest.deferred', target: 'inbox', detail: { code: err.code, sourceSha256: sha256, attempts } }]).catch(() => undefined);
        }
        return { status: 'deferred', code: err.code, message: err.message };
      }
      const q = await quarantine(qdeps, {
        relPath: src.relPath, bytes: read.bytes, sha256, sidecar,
        sidecarName: src.sidecarPath ? basename(src.sidecarPath) : null,
      }, err, attempts);
      for (const f of [src.path, ...(src.sidecarPath ? [src.sidecarPath] : [])]) await unlinkDurable(f);
      await store.inflight.remove(sourceKey(src.path));
      return { status: 'quarantined', quarantineId: q.id, code: q.code, message: q.message };
    }
  }

  async function archiveSource(
    src: SourceFile, read: { bytes: Buffer; size: number; mtimeMs: number }, sha256: string,
    sidecarBytes: Buffer | null, claimed: InflightRow,
  ): Promise<IngestOutcome> {
    if (read.size === 0) throw new TresorError('E_EMPTY_FILE', 'the file is empty (0 bytes): the PBX wrote nothing');
    let sidecarFields: Partial<CallMetadata> | null = null;
    if (sidecarBytes) {
      const parsed = parseSidecar(sidecarBytes);
      if (parsed.errors.length) {
        throw new TresorError('E_SIDECAR_INVALID', `sidecar metadata is invalid: ${parsed.errors.join('; ')}`);
      }
      sidecarFields = parsed.fields;
    }
    const meta = buildMetadata(src.relPath, read.mtimeMs, sidecarFields, config.phone);
    const fmt = sniffInput(read.bytes.subarray(0, SNIFF_BYTES), basename(src.path));
    await checkFreeSpace(0); // before spending a transcode on a file that cannot be stored
    const result = await media.transcode(read.bytes, fmt, {
      format: config.ingest.storeFormat,
      kbpsPerChannel: config.ingest.opusKbpsPerChannel,
      compressionLevel: config.ingest.opusCompressionLevel,
    });
    if (result.truncated) {
      throw new TresorError('E_TRUNCATED',
        'the WAV header promises more audio than the file holds: the PBX stopped mid-write. ' +
        'Kept in quarantine; `tresor quarantine restore ID --out FILE` gives the exact bytes back.');
    }
    await checkFreeSpace(result.output.length * 2);

    const id = newId();
    const dek = keys.newDek();
    const personal: PersonalFields = {
      from: meta.from ?? null, to: meta.to ?? null, agent: meta.agent ?? null, callId: meta.callId ?? null,
      sourceName: src.relPath, consent: meta.consent, extra: meta.extra,
    };
    const payload = seal(dek, result.output);
    const wrapped = keys.wrapDek(dek);
    const storedFormat = config.ingest.storeFormat === 'original' ? `original:${fmt.label}` : config.ingest.storeFormat;
    const ingestedAt = Date.now();
    await archive.append(id, payload, (loc) => {
      const row: RecordingRow = {
        v: 1, id, start: meta.start, durationMs: result.durationMs, direction: meta.direction,
        queue: meta.queue ?? null, consentState: meta.consent.state, purpose: meta.purpose ?? null, tags: meta.tags,
        channels: result.channels, sampleRate: result.sampleRate, sourceCodec: result.codec,
        storedFormat, storedBytes: result.output.length, sourceSha256: sha256, sourceBytes: read.size,
        ingestedAt, nameFormat: meta.nameFormat, startFromMtime: meta.startFromMtime,
        segment: loc.segment, offset: loc.offset, length: loc.length, payloadSha256: loc.payloadSha256,
        personal: seal(dek, Buffer.from(JSON.stringify(personal))), tokens: tokensOf(meta),
      };
      // Retention is decided at ingest, inside the same transaction, so no recording is
      // ever in the index without its expiry (re-evaluated when policies change) — except
      // while the clock is suspect: then none until an admin confirms the time.
      row.retention = retentionAtIngest(store, log, row, ingestedAt, config.retention.maxClockJumpHours * 3600_000);
      putRecording(store, row);
      store.keys.put(id, wrapped);
      store.inflight.put(sourceKey(src.path), { ...claimed, state: 'committed', sha256, id } satisfies InflightRow);
      log.appendSync([{
        actor, action: 'recording.ingested', target: `recording:${id}`,
        detail: {
          sourceSha256: sha256, sourceBytes: read.size, durationMs: result.durationMs, sourceCodec: result.codec,
          channels: result.channels, storedFormat, storedBytes: result.output.length, cipherSha256: loc.payloadSha256,
          retention: {
            policy: row.retention.policy, expiresAt: row.retention.expiresAt === null ? null : new Date(row.retention.expiresAt).toISOString(),
            ...(row.retention.awaitingClock ? { awaitingClock: true } : {}),
          },
        },
      }]);
    });
    // Crash story: from here on the recording is durable and logged; a crash before the
    // disposal below leaves the source plus an inflight row that says "committed", and
    // the next run finishes the disposal without logging a duplicate.
    await dispose(src, sha256, read.size, read.mtimeMs);
    return { status: 'archived', id, durationMs: result.durationMs };
  }

  return { ingestFile };
}

export type Ingest = ReturnType<typeof createIngest>;

/**
 * SHA-256 in 4 MiB steps with a turn of the event loop between them: hashing a 100 MiB
 * WAV in one go would block the loop for ~150 ms, long enough to starve the other
 * workers' ffmpeg of input (see fsyncDir in core/durable.ts).
 */
async function sha256Yielding(bytes: Buffer): Promise<string> {
  const STEP = 4 * 1024 * 1024;
  const h = createHash('sha256');
  for (let i = 0; i < bytes.length; i += STEP) {
    h.update(bytes.subarray(i, i + STEP));
    if (i + STEP < bytes.length) await new Promise<void>((r) => setImmediate(r));
  }
  return h.digest('hex');
}
