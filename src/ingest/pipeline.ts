import { statfs } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { newId } from '../core/ids.ts';
import { TresorError, isTresorError } from '../core/errors.ts';
import { unlinkDurable, moveDurable } from '../core/durable.ts';
import type { CallMetadata, LogWriter } from '../core/types.ts';
import type { Config } from '../config/index.ts';
import { combine, type GateVerdict, type IngestGate } from '../policy/index.ts';
import { sealedLength, type EnvelopeSealer, type Keyring } from '../crypto/index.ts';
import { checkRecordingKeys, type IndexStore, type InflightRow, type PersonalFields, type QuarantineRow, type RecordingRow, type TokenRef, type WrappedDek } from '../store/index.ts';
import type { Archive, RecordLocation } from '../archive/index.ts';
import { agentTokenRefs, normalizeCustomerId, processStartTime } from '../core/index.ts';
import { estimateStoredBytes, HEAD_BYTES, inspectInput, sniffInput, SNIFF_BYTES, type Media } from '../media/index.ts';
import { parseSidecar } from './sidecar.ts';
import { agentOfExtension } from './directory.ts';
import { buildMetadata, describeCall } from './metadata.ts';
import {
  dropQuarantinedInTx, quarantine, quarantinedBySha, quarantinedSidecar, removeQuarantineFolder, updateQuarantined,
  type QuarantineInput,
} from './quarantine.ts';
import { hashSource, openSource, readSidecar, type OpenSource } from './source.ts';
import { classify } from './classify.ts';
import type { ConsentStep, IngestOptions, IngestOutcome, SourceFile } from './types.ts';
import { createHash } from 'node:crypto';
import { storedInputFormat } from '../media/index.ts';
import type { SealedConsent } from '../store/index.ts';

export interface IngestDeps {
  config: Config;
  store: IndexStore;
  keys: Keyring;
  archive: Archive;
  log: LogWriter;
  media: Media;
  /**
   * What to decide about a new call (retention expiry today), in this order; the wiring
   * passes them in (src/site/wire.ts), the pipeline knows no rule by name.
   */
  gates: readonly IngestGate[];
  /** who the log names for this ingest: system:ingest, or cli:<user> */
  actor?: string;
  /** consent evidence of the call (src/consent, issue 12); none: the sidecar's claim is stored as before */
  consent?: ConsentStep;
}

/** Which quarantine entry these bytes belong to, and how they came back to it. */
interface Join {
  id: string;
  via: 'retry' | 'join';
  /** which sidecar the attempt used, for the log: a corrected one, the stored one, the new delivery's */
  sidecar?: 'corrected' | 'stored' | 'delivered' | 'none';
}

const MIB = 1024 * 1024;

/** The index row of a new recording, its personal fields sealed with its own DEK. */
function recordingRow(
  id: string, sealer: EnvelopeSealer, src: SourceFile, meta: CallMetadata, tokens: TokenRef[],
  result: { durationMs: number; channels: number; sampleRate: number; codec: string },
  sourceOf: { sha256: string; bytes: number }, storedBytes: number, storedFormat: string,
): RecordingRow {
  const personal: PersonalFields = {
    from: meta.from ?? null, to: meta.to ?? null, agent: meta.agent ?? null, callId: meta.callId ?? null,
    sourceName: src.relPath, consent: meta.consent, extra: meta.extra,
  };
  return {
    v: 1, id, start: meta.start, durationMs: result.durationMs, direction: meta.direction,
    queue: meta.queue ?? null, consentState: meta.consent.state, purpose: meta.purpose ?? null, tags: meta.tags,
    channels: result.channels, sampleRate: result.sampleRate, sourceCodec: result.codec,
    storedFormat, storedBytes, sourceSha256: sourceOf.sha256, sourceBytes: sourceOf.bytes,
    ingestedAt: Date.now(), nameFormat: meta.nameFormat, startFromMtime: meta.startFromMtime,
    segment: '', offset: 0, length: 0, payloadSha256: '',
    personal: sealer.seal(Buffer.from(JSON.stringify(personal))), tokens,
  };
}

/**
 * Every gate's decision about the call, inside the commit transaction and before its
 * first write (src/policy/gates.ts): a refusal, or a gate that throws, aborts the commit
 * with nothing written. `record` runs the gates' own writes (the clock's trusted mark).
 */
function decideGates(gates: readonly IngestGate[], row: RecordingRow): GateVerdict & { record(): void } {
  const outcomes = gates.map((g) => ({ gate: g.name, ...g.decide(row, row.ingestedAt) }));
  const verdict = combine(outcomes);
  if (verdict.discarded) throw new Discarded(verdict.discarded.gate, verdict.discarded.reason);
  if (verdict.refused) {
    throw new TresorError(verdict.refused.code, verdict.refused.reason, { detail: { gate: verdict.refused.gate } });
  }
  return { ...verdict, record: () => outcomes.forEach((o) => o.record?.()) };
}

/**
 * A gate's `discard`: thrown out of the commit transaction (nothing written), caught by
 * the pipeline before the failure path (no quarantine: the bytes must not be kept).
 */
class Discarded extends Error {
  constructor(readonly gate: string, readonly reason: string) {
    super(`not archived: gate ${gate} (${reason})`);
  }
}

export function createIngest(deps: IngestDeps) {
  const { config, store, keys, archive, log, media } = deps;
  const actor = deps.actor ?? 'system:ingest';
  const pidStart = processStartTime(process.pid);
  const reserve = config.ingest.minFreeMiB * MIB;
  const qdeps = { dataDir: config.dataDir, store, keys, log, actor, minFreeBytes: reserve };
  // Source paths carry phone numbers: the index keys them by a keyed hash, never in clear.
  const sourceKey = (path: string) => keys.tokenize('source', path);
  /** source key → code of the deferral reported last: one report per file and cause, not per rescan */
  const reported = new Map<string, string>();

  /** Claims a source path across processes, so the service and a CLI never both take it. */
  function claim(path: string, size: number, mtimeMs: number): Promise<InflightRow | 'busy' | 'kept'> {
    return store.tx(() => store.inflight.claim(sourceKey(path), { pid: process.pid, pidStart, size, mtimeMs, now: Date.now() }));
  }

  async function dispose(src: SourceFile, sha256: string, size: number, mtimeMs: number): Promise<void> {
    const mode = config.ingest.disposition;
    const files = [src.path, ...(src.sidecarPath ? [src.sidecarPath] : [])];
    if (mode === 'keep') {
      await store.tx(() => store.inflight.put(sourceKey(src.path), {
        pid: 0, pidStart: null, startedAt: Date.now(), state: 'kept', sha256, attempts: 0, size, mtimeMs,
      } satisfies InflightRow));
      return;
    }
    for (const f of files) {
      if (mode === 'delete') await unlinkDurable(f);
      else await moveDurable(f, join(config.ingest.moveTo ?? join(config.dataDir, 'processed'), relOf(src, f)));
    }
    // best effort: a "committed" row left behind only makes the next pickup skip the duplicate entry
    await store.tx(() => store.inflight.remove(sourceKey(src.path))).catch(() => undefined);
  }

  function relOf(src: SourceFile, f: string): string {
    return f === src.path ? src.relPath : join(src.relPath, '..', basename(f));
  }

  async function checkFreeSpace(need: number): Promise<void> {
    const s = await statfs(config.dataDir);
    const free = Number(s.bavail) * Number(s.bsize);
    if (free - need < reserve) {
      throw new TresorError('E_DISK_FULL',
        `the data disk is nearly full: ${(free / MIB).toFixed(0)} MiB free, this file needs ~${Math.ceil(need / MIB)} MiB plus the ${config.ingest.minFreeMiB} MiB reserve (ingest.minFreeMiB); source left in the inbox`,
        { retryable: true });
    }
  }

  function tokensOf(meta: CallMetadata): TokenRef[] {
    const t: TokenRef[] = [];
    for (const n of new Set([meta.from, meta.to].filter((x): x is string => !!x))) t.push({ kind: 'phone', token: keys.tokenize('phone', n) });
    // the whole name and each folded part (issue 15: "müller" finds "Anna Müller")
    t.push(...agentTokenRefs((k, v) => keys.tokenize(k, v), meta.agent));
    if (meta.callId) t.push({ kind: 'callId', token: keys.tokenize('callId', meta.callId) });
    // issue 11: a data subject is also found by the CRM's customer id (sidecar `customerId`,
    // kept sealed in `extra` as before; only its keyed token is indexed)
    const customer = normalizeCustomerId(meta.extra.customerId);
    if (customer) t.push({ kind: 'customer', token: keys.tokenize('customer', customer) });
    return t;
  }

  /** The recording these bytes are, if it is really stored: a row and its key (not a stale mapping). */
  function archivedBySha(sha256: string): string | undefined {
    const id = store.recordings.idForSha(sha256);
    return id !== undefined && store.recordings.has(id) && store.keys.has(id) ? id : undefined;
  }

  async function deferred(src: SourceFile, err: TresorError, sha256: string | null, attempts: number): Promise<IngestOutcome> {
    const key = sourceKey(src.path);
    const firstReport = reported.get(key) !== err.code;
    if (firstReport) {
      reported.set(key, err.code);
      // best effort: on a full disk the log may not be writable either
      await log.append([{ actor, action: 'ingest.deferred', target: 'inbox', detail: { code: err.code, ...(sha256 ? { sourceSha256: sha256 } : {}), attempts } }]).catch(() => undefined);
    }
    return { status: 'deferred', code: err.code, message: err.message, firstReport };
  }

  /** Any outcome but "deferred": the next deferral of this path is news again. */
  function settled<T extends IngestOutcome>(src: SourceFile, o: T): T {
    reported.delete(sourceKey(src.path));
    return o;
  }

  async function ingestFile(src: SourceFile, opts: IngestOptions = {}): Promise<IngestOutcome> {
    let source: OpenSource;
    try {
      source = await openSource(src.path, config.ingest.maxFileMiB * MIB);
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).code;
      if (errno === 'ENOENT') return settled(src, { status: 'skipped', reason: 'source vanished before it was read' });
      const err = classify(e, 'cannot read source');
      if (err.code === 'E_NOT_REGULAR_FILE' || err.code === 'E_TOO_LARGE' || errno === 'ELOOP') {
        const code = err.code === 'E_IO' ? 'E_NOT_REGULAR_FILE' : err.code;
        await log.append([{ actor, action: 'inbox.rejected', target: 'inbox', detail: { code } }]).catch(() => undefined);
        return settled(src, { status: 'rejected', code, message: err.message });
      }
      return deferred(src, err, null, 0);
    }
    try {
      return await ingestOpen(src, source, opts);
    } finally {
      await source.close().catch(() => undefined);
    }
  }

  async function ingestOpen(src: SourceFile, source: OpenSource, opts: IngestOptions): Promise<IngestOutcome> {
    let claimed: InflightRow | 'busy' | 'kept';
    let sha256: string;
    try {
      // No index write at all while the disk is full: each would fail (and lmdb-js prints
      // every failed commit), once per file and rescan.
      await checkFreeSpace(MIB);
      claimed = await claim(src.path, source.size, source.mtimeMs);
      if (claimed === 'busy') return { status: 'skipped', reason: 'another Tresor process is ingesting this file' };
      if (claimed === 'kept') return settled(src, { status: 'skipped', reason: 'already archived (disposition keep)' });
      sha256 = await hashSource(source);
    } catch (e) {
      // a full disk (the claim's commit) or a read error on the share: the box's fault
      return deferred(src, classify(e, 'cannot start the ingest'), null, 0);
    }

    const existing = archivedBySha(sha256);
    const join = joinOf(src, source, sha256, existing, opts);
    if (existing) return duplicateOf(src, source, sha256, claimed, existing, join);

    let sidecar: Buffer | null = null;
    const sidecarName = src.sidecarPath ? basename(src.sidecarPath) : null;
    try {
      if (src.sidecarPath) sidecar = await readSidecar(src.sidecarPath);
      // a redelivery without its sidecar is still described by the one it came with first
      else if (join?.via === 'join') sidecar = await quarantinedSidecar(qdeps, join.id);
      return await archiveSource(src, source, sha256, sidecar, claimed, join);
    } catch (e) {
      if (e instanceof Discarded) return discard(src, sha256, source.size, join, e);
      return failed(src, source, sha256, claimed, join, sidecar, sidecarName, classify(e, 'ingest failed'));
    }
  }

  /**
   * The quarantine entry these bytes belong to: the one being retried, or the one that
   * already holds the same bytes (a redelivery, often with a corrected sidecar: it joins
   * that entry and is tried with the new sidecar, never deleted as a "duplicate").
   */
  function joinOf(src: SourceFile, source: OpenSource, sha256: string, archived: string | undefined, opts: IngestOptions): Join | null {
    if (opts.quarantineId) {
      return { id: opts.quarantineId, via: 'retry', sidecar: opts.correctedSidecar ? 'corrected' : src.sidecarPath ? 'stored' : 'none' };
    }
    const held = !archived && source.size > 0 ? quarantinedBySha(store, sha256) : undefined;
    return held ? { id: held, via: 'join', sidecar: src.sidecarPath ? 'delivered' : 'stored' } : null;
  }

  async function failed(
    src: SourceFile, source: OpenSource, sha256: string, claimed: InflightRow, join: Join | null,
    sidecar: Buffer | null, sidecarName: string | null, err: TresorError,
  ): Promise<IngestOutcome> {
    const attempts = claimed.attempts + 1;
    const entry = join ? store.quarantine.get(join.id) : undefined;
    // The same bytes timing out twice is the file, not the load (a 1 Hz header held a
    // worker for 3 × 30 min, issue 16): keep it in quarantine, where a person can retry.
    const timedOutTwice = err.code === 'E_FFMPEG_TIMEOUT' && (claimed.timedOutSha === sha256 || entry?.code === 'E_FFMPEG_TIMEOUT');
    const retry = err.retryable && !timedOutTwice && (err.code === 'E_DISK_FULL' || attempts < config.ingest.maxAttempts);
    if (retry) {
      await store.tx(() => store.inflight.put(sourceKey(src.path), {
        ...claimed, attempts, state: 'working', pid: 0, ...(err.code === 'E_FFMPEG_TIMEOUT' ? { timedOutSha: sha256 } : {}),
      } satisfies InflightRow)).catch(() => undefined); // on a full disk: the count is lost, not the file
      return deferred(src, err, sha256, attempts);
    }
    const why = timedOutTwice
      ? new TresorError('E_FFMPEG_TIMEOUT', `${err.message}; the same bytes timed out before, so they are not tried again by themselves (retry from the console when the box is quiet)`, { detail: err.detail })
      : err;
    let kept: { id: string; joined: boolean };
    try {
      kept = await keepInQuarantine({
        relPath: src.relPath, source, sha256, sidecar, sidecarName, call: describeCall(src.relPath, source.mtimeMs, sidecar, config.phone),
      }, why, attempts, join);
    } catch (e) {
      // could not keep it safe (disk full, say): the source stays where it is
      return deferred(src, classify(e, 'cannot quarantine the file'), sha256, attempts);
    }
    try {
      for (const f of [src.path, ...(src.sidecarPath ? [src.sidecarPath] : [])]) await unlinkDurable(f);
    } catch {
      // kept in quarantine already; a source left behind is taken again and joins the entry
    }
    await store.tx(() => store.inflight.remove(sourceKey(src.path))).catch(() => undefined);
    return settled(src, { status: 'quarantined', quarantineId: kept.id, code: why.code, message: why.message, ...(kept.joined ? { joined: true } : {}) });
  }

  /**
   * A gate said the call must not exist here (an objection, a denied consent). Crash story:
   * `recording.refused` is durable in the log first (with a quarantined copy of the same
   * bytes, dropped in the same commit: its key goes, so it is unreadable), then the source
   * and its sidecar are unlinked durably. A crash in between leaves the source: it is
   * taken again, refused again and logged a second time — never archived, never kept.
   */
  async function discard(src: SourceFile, sha256: string, bytes: number, join: Join | null, d: Discarded): Promise<IngestOutcome> {
    try {
      await store.tx(() => {
        const gone = join ? dropQuarantinedInTx(store, join.id) : undefined;
        log.appendSync([
          { actor, action: 'recording.refused', target: 'inbox', detail: { reason: d.reason, gate: d.gate, sourceSha256: sha256, sourceBytes: bytes } },
          ...(gone && join ? [{ actor, action: 'quarantine.discarded', target: `quarantine:${join.id}`, detail: { reason: d.reason, gate: d.gate } }] : []),
        ]);
      });
      if (join) await removeQuarantineFolder(config.dataDir, join.id).catch(() => undefined);
      for (const f of [src.path, ...(src.sidecarPath ? [src.sidecarPath] : [])]) await unlinkDurable(f);
    } catch (e) {
      // not logged or not unlinked: the source stays and the next scan refuses it again
      return deferred(src, classify(e, 'cannot destroy a refused source'), sha256, 0);
    }
    await store.tx(() => store.inflight.remove(sourceKey(src.path))).catch(() => undefined);
    return settled(src, { status: 'refused', reason: d.reason, gate: d.gate });
  }

  async function keepInQuarantine(input: QuarantineInput, err: TresorError, attempts: number, join: Join | null): Promise<{ id: string; joined: boolean }> {
    const update = (id: string, via: Join['via']) =>
      updateQuarantined(qdeps, id, { err, sidecar: input.sidecar, sidecarName: input.sidecarName, via, call: input.call?.plain });
    if (join) {
      try {
        await update(join.id, join.via);
        return { id: join.id, joined: true };
      } catch (e) {
        // discarded meanwhile: a redelivery starts a new entry; a retry has nothing to retry
        if (!isTresorError(e, 'E_NOT_FOUND') || join.via === 'retry') throw e;
      }
    }
    const r = await quarantine(qdeps, input, err, attempts);
    if ('existing' in r) {
      await update(r.existing, 'join');
      return { id: r.existing, joined: true };
    }
    return { id: r.row.id, joined: false };
  }

  async function duplicateOf(src: SourceFile, source: OpenSource, sha256: string, claimed: InflightRow, id: string, join: Join | null): Promise<IngestOutcome> {
    // Same bytes already archived. If we stored them ourselves just before a crash
    // (committed, not yet disposed), finishing the disposal is the whole job.
    const ours = claimed.state === 'committed' && claimed.sha256 === sha256;
    const dup = { actor, action: 'recording.duplicate', target: `recording:${id}`, detail: { sourceSha256: sha256, sourceBytes: source.size } };
    try {
      if (join) {
        // the quarantined copy is one too many now: it goes, in one commit with its log entry
        await store.tx(() => {
          const gone = dropQuarantinedInTx(store, join.id);
          log.appendSync([
            ...(gone ? [{ actor, action: join.via === 'retry' ? 'quarantine.retried' : 'quarantine.joined', target: `quarantine:${join.id}`, detail: { outcome: 'duplicate', recording: `recording:${id}`, attempts: gone.attempts + 1 } }] : []),
            ...(ours ? [] : [dup]),
          ]);
        });
        await removeQuarantineFolder(config.dataDir, join.id).catch(() => undefined);
      } else if (!ours) await log.append([dup]);
      await dispose(src, sha256, source.size, source.mtimeMs);
    } catch (e) {
      return deferred(src, classify(e, 'cannot finish a duplicate'), sha256, claimed.attempts);
    }
    return settled(src, { status: 'duplicate', id });
  }

  /**
   * The commit, inside archive.append's transaction (all or nothing): the gates' own
   * writes, the row with its location, retention and marks, its wrapped key, the inflight
   * row that says "committed", the quarantine entry it replaces, and the log entries.
   */
  function commitRecording(
    row: RecordingRow, loc: RecordLocation, wrapped: WrappedDek, gates: ReturnType<typeof decideGates>,
    c: { src: SourceFile; claimed: InflightRow; join: Join | null; entry: QuarantineRow | undefined; codec: string; consent?: { sealed: SealedConsent[]; notes: { action: string; detail: Record<string, unknown> }[]; claim(): void } },
  ): void {
    const { id, sourceSha256: sha256 } = row;
    const { join } = c;
    Object.assign(row, { segment: loc.segment, offset: loc.offset, length: loc.length, payloadSha256: loc.payloadSha256 });
    gates.record();
    c.consent?.claim();
    row.retention = gates.retention;
    if (gates.marks.length) row.marks = gates.marks;
    store.recordings.put(row);
    store.keys.put(id, wrapped);
    store.inflight.put(sourceKey(c.src.path), { ...c.claimed, state: 'committed', sha256, id } satisfies InflightRow);
    if (join && dropQuarantinedInTx(store, join.id)) {
      log.appendSync([{
        actor, action: join.via === 'retry' ? 'quarantine.retried' : 'quarantine.joined', target: `quarantine:${join.id}`,
        detail: { outcome: 'archived', recording: `recording:${id}`, attempts: (c.entry?.attempts ?? 0) + 1, ...(join.sidecar ? { sidecar: join.sidecar } : {}) },
      }]);
    }
    const retention = row.retention;
    log.appendSync([{
      actor, action: 'recording.ingested', target: `recording:${id}`,
      detail: {
        sourceSha256: sha256, sourceBytes: row.sourceBytes, durationMs: row.durationMs, sourceCodec: c.codec,
        channels: row.channels, storedFormat: row.storedFormat, storedBytes: row.storedBytes, cipherSha256: loc.payloadSha256,
        retention: {
          policy: retention.policy, expiresAt: retention.expiresAt === null ? null : new Date(retention.expiresAt).toISOString(),
          ...(retention.awaitingClock ? { awaitingClock: true } : {}),
        },
        ...(gates.marks.length ? { marks: gates.marks } : {}),
      },
    }]);
    // issue 12: one entry per piece of evidence, method, state and the sealed bytes' hash only
    if (c.consent?.sealed.length) {
      log.appendSync(c.consent.sealed.map((s) => ({ actor, action: 'consent.recorded', target: `recording:${id}`, detail: { method: s.method, state: s.state, evidenceSha256: s.sha256, ...(s.advisory ? { advisory: true } : {}) } })));
    }
    if (c.consent?.notes.length) log.appendSync(c.consent.notes.map((n) => ({ actor, action: n.action, target: `recording:${id}`, detail: n.detail })));
  }

  /** The call's consent evidence, sealed with its key, and the state it gives the row (issue 12). */
  async function collectConsent(
    step: ConsentStep, sealer: EnvelopeSealer, meta: CallMetadata, sidecar: Partial<CallMetadata> | null,
    stored: { output: Buffer; storedFormat: string }, src: { source: OpenSource; sha256: string; fmt: ReturnType<typeof sniffInput> },
    tokens: readonly { kind: string; token: string }[],
  ) {
    const got = await step.collect({
      start: meta.start, callId: meta.callId ?? null, sidecar: sidecar?.consent ?? null, extra: meta.extra, tokens,
      // the stored audio when it is in memory; an 'original' is read again from the source
      window: (seconds, sampleRate, o) => stored.output.length && !o?.fromSource
        ? media.decodeWindow(stored.output, storedInputFormat(stored.output, stored.storedFormat), { seconds, sampleRate })
        : media.decodeWindow(Readable.from(src.source.verified(src.sha256), { objectMode: true, highWaterMark: 1 }), src.fmt, { seconds, sampleRate }),
    });
    const sealed = got.evidence.map((ev): SealedConsent => {
      const bytes = sealer.seal(Buffer.from(JSON.stringify(ev)));
      return { method: ev.method, state: ev.state, sha256: createHash('sha256').update(bytes).digest('hex'), sealed: new Uint8Array(bytes), ...(ev.advisory ? { advisory: true as const } : {}) };
    });
    return { sealed, notes: got.notes, claim: got.claim, state: got.state ?? meta.consent.state };
  }

  async function archiveSource(
    src: SourceFile, source: OpenSource, sha256: string, sidecarBytes: Buffer | null, claimed: InflightRow, join: Join | null,
  ): Promise<IngestOutcome> {
    if (source.size === 0) throw new TresorError('E_EMPTY_FILE', 'the file is empty (0 bytes): the PBX wrote nothing');
    let sidecarFields: Partial<CallMetadata> | null = null;
    if (sidecarBytes) {
      const parsed = parseSidecar(sidecarBytes);
      if (parsed.errors.length) {
        throw new TresorError('E_SIDECAR_INVALID', `sidecar metadata is invalid: ${parsed.errors.join('; ')}`);
      }
      sidecarFields = parsed.fields;
    }
    const meta = buildMetadata(src.relPath, source.mtimeMs, sidecarFields, config.phone);
    // issue 15: a name that gives only the agent's extension (FreePBX) → the directory's name
    if (!meta.agent && meta.agentExtension) {
      let name: string | undefined;
      try {
        name = agentOfExtension({ store, secrets: keys, configured: config.directory.extensions }, meta.agentExtension);
      } catch {
        name = undefined; // a damaged entry must not stop ingest: the call is kept without an agent name
      }
      if (name) meta.agent = name;
    }
    delete meta.agentExtension;
    const head = await source.head(HEAD_BYTES);
    const fmt = sniffInput(head.subarray(0, SNIFF_BYTES), basename(src.path));
    const facts = inspectInput(fmt, head, source.size); // E_BAD_HEADER before any ffmpeg
    const target = {
      format: config.ingest.storeFormat, kbpsPerChannel: config.ingest.opusKbpsPerChannel,
      compressionLevel: config.ingest.opusCompressionLevel, keepOriginal: false,
    };
    // Before the transcode: a file that cannot be stored is not transcoded first (on a
    // full disk every rescan used to transcode, then defer the same file).
    await checkFreeSpace(estimateStoredBytes(facts, source.size, target));
    // ffmpeg reads the file as it goes (never whole in memory); the bytes it gets must hash
    // to the SHA-256 we logged, or the run fails (the file changed while being read)
    const input = Readable.from(source.verified(sha256), { objectMode: true, highWaterMark: 1 });
    const result = await media.transcode(input, fmt, target);
    if (result.truncated) {
      throw new TresorError('E_TRUNCATED',
        'the WAV header promises more audio than the file holds: the PBX stopped mid-write. ' +
        'Kept in quarantine; `tresor quarantine restore ID --out FILE` gives the exact bytes back.');
    }
    const original = config.ingest.storeFormat === 'original';
    const storedBytes = original ? source.size : result.output.length;
    const payloadLength = sealedLength(storedBytes);
    await checkFreeSpace(payloadLength + MIB);

    const id = newId();
    const sealer = keys.sealFor(id);
    const storedFormat = original ? `original:${fmt.label}` : config.ingest.storeFormat;
    const row = recordingRow(id, sealer, src, meta, tokensOf(meta), result, { sha256, bytes: source.size }, storedBytes, storedFormat);
    const consent = deps.consent
      ? await collectConsent(deps.consent, sealer, meta, sidecarFields, { output: result.output, storedFormat }, { source, sha256, fmt }, row.tokens)
      : undefined;
    if (consent?.sealed.length) {
      row.consentEvidence = consent.sealed;
      row.consentState = consent.state;
    }
    checkRecordingKeys(row); // everything the commit writes is checked before its first write
    const entry = join ? store.quarantine.get(join.id) : undefined;
    let lostTo: string | undefined;
    const loc = await archive.append(id, {
      length: payloadLength,
      chunks: sealer.sealStream(storedBytes, original ? source.verified(sha256) : [result.output]),
    }, (loc) => {
      // Same bytes committed by another worker or process since the check before the
      // transcode (issue 9: two copies at once were archived twice): this one withdraws.
      lostTo = archivedBySha(sha256);
      if (lostTo) return false;
      commitRecording(row, loc, sealer.wrapped, decideGates(deps.gates, row), { src, claimed, join, entry, codec: result.codec, consent });
    });
    if (!loc) return duplicateOf(src, source, sha256, claimed, lostTo!, join);
    // Crash story: from here on the recording is durable and logged; a crash before the
    // disposal below leaves the source plus an inflight row that says "committed", and
    // the next run finishes the disposal without logging a duplicate. A quarantine folder
    // left behind by a crash here is unreadable (its key went in the commit) and unlisted.
    if (join) await removeQuarantineFolder(config.dataDir, join.id).catch(() => undefined);
    await dispose(src, sha256, source.size, source.mtimeMs);
    return settled(src, { status: 'archived', id, durationMs: result.durationMs });
  }

  return { ingestFile };
}

export type Ingest = ReturnType<typeof createIngest>;

