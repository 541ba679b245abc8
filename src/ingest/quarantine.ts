import { mkdtemp, readFile, readdir, rm, statfs } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { newId } from '../core/ids.ts';
import { mkdirDurable, writeFileDurable } from '../core/durable.ts';
import type { TresorError } from '../core/errors.ts';
import { TresorError as TE } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import { sealedLength, type EnvelopeOpener, type Keyring } from '../crypto/index.ts';
import type { IndexStore, QuarantineRow, QuarantinedCall } from '../store/index.ts';
import type { IngestOptions, IngestOutcome, SourceFile } from './types.ts';
import type { OpenSource } from './source.ts';

/**
 * Quarantine keeps bad input byte-identical and explains why (reason.json), but at rest
 * it is sealed like everything else: a "bad" file is often a real call that ffmpeg could
 * not read, and its name carries phone numbers. `restore` gives back the exact bytes.
 *
 *   <data>/quarantine/<id>/original.tsq   sealed original bytes
 *   <data>/quarantine/<id>/sidecar.tsq    sealed sidecar, when there was one
 *   <data>/quarantine/<id>/sidecar-N.tsq  a corrected sidecar (retry, redelivery); the older ones stay
 *   <data>/quarantine/<id>/reason.json    code, message, sha256, size, the call's time: no personal data
 *
 * An entry is the one place the bytes of a bad file live: the same bytes arriving again
 * (a corrected redelivery) join the entry and are retried with their new sidecar, never
 * deleted as a "duplicate" (issue 9).
 */
/** Sealed with the entry's key: shown only to roles that see personal data, after a log entry. */
export interface QuarantinePersonal {
  sourceName: string;
  sidecarName: string | null;
  detail: Record<string, unknown>;
  call?: { from: string | null; to: string | null; agent: string | null; callId: string | null };
}

export interface QuarantineDeps {
  dataDir: string;
  store: IndexStore;
  keys: Keyring;
  log: LogWriter;
  actor: string;
  /** keep this much free on the data disk (ingest.minFreeMiB) */
  minFreeBytes?: number;
}

export interface QuarantineInput {
  relPath: string;
  source: OpenSource;
  sha256: string;
  sidecarName: string | null;
  sidecar: Buffer | null;
  call?: { plain: QuarantinedCall; personal: NonNullable<QuarantinePersonal['call']> };
}

export function quarantineDir(dataDir: string): string {
  return join(dataDir, 'quarantine');
}

const entryDir = (dataDir: string, id: string) => join(quarantineDir(dataDir), id);
const sidecarFileOf = (row: QuarantineRow): string | null => (row.hasSidecar ? row.sidecarFile ?? 'sidecar.tsq' : null);

/** Refuses (retryable E_DISK_FULL) when writing `need` bytes would eat into the reserve. */
async function ensureFree(dataDir: string, need: number, reserve: number, what: string): Promise<void> {
  const s = await statfs(dataDir);
  const free = Number(s.bavail) * Number(s.bsize);
  if (free - need < reserve) {
    throw new TE('E_DISK_FULL',
      `the data disk is nearly full: ${(free / 1048576).toFixed(0)} MiB free, ${what} needs ~${Math.ceil(need / 1048576)} MiB ` +
      `plus the ${Math.round(reserve / 1048576)} MiB reserve (ingest.minFreeMiB); source left in the inbox`, { retryable: true });
  }
}

function reasonJson(row: QuarantineRow): string {
  return JSON.stringify({
    id: row.id, code: row.code, message: row.message, sourceSha256: row.sourceSha256, sourceBytes: row.sourceBytes,
    quarantinedAt: new Date(row.quarantinedAt).toISOString(), attempts: row.attempts,
    ...(row.lastAttemptAt ? { lastAttemptAt: new Date(row.lastAttemptAt).toISOString() } : {}),
    ...(row.call ? { call: { ...row.call, start: row.call.start === null ? null : new Date(row.call.start).toISOString() } } : {}),
    restore: `scripts/tresor quarantine restore ${row.id} --out FILE`,
  }, null, 2) + '\n';
}

/** Thrown inside the commit to abort it: another process quarantined the same bytes first. */
const RACED = Symbol('raced');

/**
 * Keeps a source the archive cannot take. Streams it (sealed) into a new entry folder:
 * the file is never whole in memory, and its bytes must hash to `sha256` or nothing is
 * kept. Resolves `{ existing }` instead when the same bytes got an entry meanwhile (two
 * copies at once): the caller joins that entry.
 *
 * Crash story: free-space check, folder (fsynced into quarantine/), sealed files and
 * reason.json (each temp file, fsync, rename), then the index row + key + log entry in
 * one all-or-nothing commit; only then may the caller remove the source. Any failure
 * before the commit (a full disk, say) removes the folder again and throws, and the
 * source stays where it was. A kill before the commit leaves an unlisted folder (status
 * and fsck report it) and the source in the inbox: nothing is lost.
 */
export async function quarantine(
  deps: QuarantineDeps, input: QuarantineInput, err: TresorError, attempts: number,
): Promise<{ row: QuarantineRow } | { existing: string }> {
  const size = input.source.size;
  const sidecarBytes = input.sidecar ? sealedLength(input.sidecar.length) : 0;
  await ensureFree(deps.dataDir, sealedLength(size) + sidecarBytes + 64 * 1024, deps.minFreeBytes ?? 0, 'keeping it in quarantine');
  const id = newId();
  const dir = entryDir(deps.dataDir, id);
  const sealer = deps.keys.sealFor(`q:${id}`);
  try {
    await mkdirDurable(dir);
    await writeFileDurable(join(dir, 'original.tsq'), sealer.sealStream(size, input.source.verified(input.sha256)));
    if (input.sidecar) await writeFileDurable(join(dir, 'sidecar.tsq'), sealer.seal(input.sidecar));
    const personal: QuarantinePersonal = {
      sourceName: input.relPath, sidecarName: input.sidecarName, detail: err.detail,
      ...(input.call ? { call: input.call.personal } : {}),
    };
    const row: QuarantineRow = {
      id, code: err.code, message: err.message, sourceSha256: input.sha256, sourceBytes: size,
      hasSidecar: input.sidecar !== null, quarantinedAt: Date.now(), attempts,
      ...(input.call ? { call: input.call.plain } : {}),
      personal: sealer.seal(Buffer.from(JSON.stringify(personal))),
      // issue 11: a data subject's lookup must see quarantined calls too; only the keyed
      // tokens of the numbers, as the recordings' index has them
      tokens: [...new Set([input.call?.personal.from, input.call?.personal.to].filter((n): n is string => !!n))]
        .map((n) => ({ kind: 'phone' as const, token: deps.keys.tokenize('phone', n) })),
    };
    await writeFileDurable(join(dir, 'reason.json'), reasonJson(row));
    await deps.store.tx(() => {
      if (size > 0 && deps.store.quarantine.idForSha(input.sha256)) throw RACED;
      deps.store.quarantine.add(row);
      deps.store.keys.put(`q:${id}`, sealer.wrapped);
      deps.log.appendSync([{
        actor: deps.actor, action: 'recording.quarantined', target: `quarantine:${id}`,
        detail: { code: row.code, sourceSha256: row.sourceSha256, sourceBytes: row.sourceBytes, attempts },
      }]);
    });
    return { row };
  } catch (e) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    if (e === RACED) return { existing: deps.store.quarantine.idForSha(input.sha256)! };
    throw e;
  }
}

/**
 * The same bytes failed again (a retry, or a redelivery that joined the entry): the one
 * entry stays, with the new reason, one more attempt, and the sidecar that was used when
 * it differs from the stored one (kept beside the older ones). E_NOT_FOUND when the entry
 * went meanwhile (discarded): the caller quarantines afresh.
 */
export async function updateQuarantined(
  deps: QuarantineDeps, id: string,
  u: { err: TresorError; sidecar: Buffer | null; sidecarName: string | null; via: 'retry' | 'join'; call?: QuarantinedCall },
): Promise<QuarantineRow> {
  const { store } = deps;
  const row = store.quarantine.get(id);
  if (!row || !store.keys.has(`q:${id}`)) throw new TE('E_NOT_FOUND', `no quarantined file ${id}`);
  const dir = entryDir(deps.dataDir, id);
  let sidecarFile = sidecarFileOf(row);
  let sidecarChange: 'same' | 'new' | 'none' = u.sidecar ? 'same' : 'none';
  if (u.sidecar) {
    const stored = sidecarFile ? deps.keys.openRecording(`q:${id}`).open(await readFile(join(dir, sidecarFile))) : null;
    if (!stored || !stored.equals(u.sidecar)) {
      sidecarChange = 'new';
      sidecarFile = `sidecar-${row.attempts + 1}-${Date.now()}.tsq`;
      await ensureFree(deps.dataDir, sealedLength(u.sidecar.length) + 64 * 1024, deps.minFreeBytes ?? 0, 'the corrected sidecar');
      await writeFileDurable(join(dir, sidecarFile), deps.keys.sealFor(`q:${id}`).seal(u.sidecar));
    }
  }
  const updated: QuarantineRow = {
    ...row, code: u.err.code, message: u.err.message, attempts: row.attempts + 1, lastAttemptAt: Date.now(),
    hasSidecar: sidecarFile !== null, ...(sidecarFile ? { sidecarFile } : {}), ...(u.call ? { call: u.call } : {}),
  };
  await store.tx(() => {
    if (!store.quarantine.has(id)) throw new TE('E_NOT_FOUND', `no quarantined file ${id}`);
    store.quarantine.update(updated);
    deps.log.appendSync([{
      actor: deps.actor, action: u.via === 'retry' ? 'quarantine.retried' : 'quarantine.joined', target: `quarantine:${id}`,
      detail: { outcome: 'quarantined', code: updated.code, attempts: updated.attempts, sidecar: sidecarChange },
    }]);
  });
  // reason.json is for people reading the folder; the index row is the record
  await writeFileDurable(join(dir, 'reason.json'), reasonJson(updated)).catch(() => undefined);
  return updated;
}

/**
 * Removes an entry's row, key and duplicate-check mapping; call inside the transaction that
 * archived its bytes (so there is never a moment with both, or with neither). The folder
 * goes afterwards (removeQuarantineFolder): a kill in between leaves an unreadable,
 * unlisted folder.
 */
export function dropQuarantinedInTx(store: IndexStore, id: string): QuarantineRow | undefined {
  const r = store.quarantine.drop(id);
  if (r) store.keys.remove(`q:${id}`);
  return r;
}

export async function removeQuarantineFolder(dataDir: string, id: string): Promise<void> {
  await rm(entryDir(dataDir, id), { recursive: true, force: true });
}

export function listQuarantine(store: IndexStore): QuarantineRow[] {
  return store.quarantine.all();
}

export function quarantinedBySha(store: IndexStore, sha256: string): string | undefined {
  return store.quarantine.idForSha(sha256);
}

type OpenDeps = Pick<QuarantineDeps, 'dataDir' | 'store' | 'keys'>;

function entryKey(deps: OpenDeps, id: string): { row: QuarantineRow; opener: EnvelopeOpener } {
  const row = deps.store.quarantine.get(id);
  if (!row || !deps.store.keys.has(`q:${id}`)) throw new TE('E_NOT_FOUND', `no quarantined file ${id}`);
  return { row, opener: deps.keys.openRecording(`q:${id}`) };
}

/** The sealed personal details of an entry. Callers log the access first (DESIGN §1). */
export function quarantinePersonal(deps: OpenDeps, id: string): QuarantinePersonal {
  const { row, opener } = entryKey(deps, id);
  return JSON.parse(opener.open(row.personal).toString('utf8')) as QuarantinePersonal;
}

/** The sidecar an entry holds now (the latest one used), or null. */
export async function quarantinedSidecar(deps: OpenDeps, id: string): Promise<Buffer | null> {
  const { row, opener } = entryKey(deps, id);
  const file = sidecarFileOf(row);
  return file ? opener.open(await readFile(join(entryDir(deps.dataDir, id), file))) : null;
}

/** The original bytes, one chunk at a time, each authenticated before it is given out. */
export function quarantinedBytes(deps: OpenDeps, id: string): AsyncGenerator<Buffer> {
  const { opener } = entryKey(deps, id);
  return opener.openStream(createReadStream(join(entryDir(deps.dataDir, id), 'original.tsq'), { highWaterMark: 1024 * 1024 }));
}

/** Opens a quarantined item whole: exact original bytes, sidecar and the personal details (small files, tests). */
export async function openQuarantined(deps: OpenDeps, id: string) {
  const { row } = entryKey(deps, id);
  const parts: Buffer[] = [];
  for await (const b of quarantinedBytes(deps, id)) parts.push(b);
  return { row, bytes: Buffer.concat(parts), sidecar: await quarantinedSidecar(deps, id), personal: quarantinePersonal(deps, id) };
}

/** Writes the exact original bytes (and the sidecar beside, as OUT.json) to new files. */
export async function restoreQuarantined(deps: OpenDeps, id: string, out: string): Promise<{ bytes: number; sidecar: string | null; personal: QuarantinePersonal }> {
  const { row } = entryKey(deps, id);
  await writeFileDurable(out, quarantinedBytes(deps, id));
  const sidecar = await quarantinedSidecar(deps, id);
  if (sidecar) await writeFileDurable(`${out}.json`, sidecar);
  return { bytes: row.sourceBytes, sidecar: sidecar ? `${out}.json` : null, personal: quarantinePersonal(deps, id) };
}

/** Folders without an index row: a crash between writing the files and the commit. */
export async function unlistedQuarantineFolders(dataDir: string, store: IndexStore): Promise<string[]> {
  let names: string[] = [];
  try {
    names = await readdir(quarantineDir(dataDir));
  } catch {
    return [];
  }
  return names.filter((n) => !store.quarantine.has(n));
}

// ---- retry and discard (console and CLI actions) -------------------------------------

/** Quarantine ids being retried or discarded in this process: a double click or a decision
 * taken while a retry runs must not act on the same entry twice. */
const busy = new Set<string>();

function claimBusy(ids: string[]): void {
  const taken = ids.find((id) => busy.has(id));
  if (taken) throw new TE('E_CONFLICT', `quarantined file ${taken} is being worked on right now; try again in a moment`);
  for (const id of ids) busy.add(id);
}

/**
 * Deletes quarantined files for good: for every id its DEK (crypto-shred), its row and a
 * log entry, all in one transaction, then the folders. A crash after the commit leaves
 * unreadable, unlisted folders (status reports them), never a listed entry without a file.
 * Ids already gone are reported, not an error. Callers make sure a second person agreed
 * (four-eyes, src/retention/approvals.ts): one approval may cover a whole selection.
 */
export async function discardQuarantinedMany(
  deps: Pick<QuarantineDeps, 'dataDir' | 'store' | 'log' | 'actor'>,
  ids: string[],
  detail: Record<string, unknown> = {},
): Promise<{ discarded: string[]; gone: string[] }> {
  const unique = [...new Set(ids)];
  claimBusy(unique);
  try {
    const { store } = deps;
    const discarded = await store.tx(() => {
      const done: string[] = [];
      for (const id of unique) {
        const r = dropQuarantinedInTx(store, id);
        if (!r) continue;
        deps.log.appendSync([{
          actor: deps.actor, action: 'quarantine.discarded', target: `quarantine:${id}`,
          detail: { code: r.code, sourceSha256: r.sourceSha256, sourceBytes: r.sourceBytes, ...detail },
        }]);
        done.push(id);
      }
      return done;
    });
    for (const id of discarded) await removeQuarantineFolder(deps.dataDir, id);
    return { discarded, gone: unique.filter((id) => !discarded.includes(id)) };
  } finally {
    for (const id of unique) busy.delete(id);
  }
}

/** What a discard request names in the log: the entry, or for a set a digest of its ids. */
export function discardTarget(ids: string[]): string {
  if (ids.length === 1) return `quarantine:${ids[0]}`;
  return `quarantine-set:${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 16)}`;
}

/** The quarantine ids a discard request covers (older requests name one in `quarantineId`). */
export function discardIdsOf(payload: Record<string, unknown>, target: string): string[] {
  if (Array.isArray(payload.quarantineIds)) return payload.quarantineIds.map(String);
  return [String(payload.quarantineId ?? target.replace(/^quarantine:/, ''))];
}

/** One entry; E_NOT_FOUND when it is not there. */
export async function discardQuarantined(
  deps: Pick<QuarantineDeps, 'dataDir' | 'store' | 'log' | 'actor'>,
  id: string,
  detail: Record<string, unknown> = {},
): Promise<QuarantineRow> {
  const row = deps.store.quarantine.get(id);
  const r = await discardQuarantinedMany(deps, [id], detail);
  if (!row || r.discarded.length === 0) throw new TE('E_NOT_FOUND', `no quarantined file ${id}`);
  return row;
}

export type RetryOutcome =
  | { outcome: 'archived' | 'duplicate'; recordingId: string }
  /** failed again: the one entry stays, with the new reason and one more attempt */
  | { outcome: 'quarantined'; code: string; message: string }
  /** not decided (disk full, time-out, another process): the entry stays as it was */
  | { outcome: 'deferred' | 'rejected' | 'skipped' | 'refused'; code: string; message: string };

/**
 * Runs a quarantined file through ingest again (after an ffmpeg upgrade, a time-out under
 * load, a fixed disk), with a corrected sidecar when one is given, else the stored one.
 * The sealed original is opened into a private temporary folder in the data dir
 * (0700/0600, under its original name so the name's metadata is parsed again) and handed
 * to `ingestFile` as a copy of this entry, which must dispose of sources by deleting them.
 *
 * The pipeline does the rest in its commits: archived or duplicate → the entry goes in
 * the same transaction that stores the recording; failing again → still exactly this one
 * entry (new reason, attempts+1, the corrected sidecar kept), so ids that approvals refer
 * to stay valid. Every retry logs `quarantine.opened` before it unseals anything, and
 * `quarantine.retried` with the outcome.
 */
export async function retryQuarantined(
  deps: QuarantineDeps & { ingestFile(src: SourceFile, opts?: IngestOptions): Promise<IngestOutcome> },
  id: string,
  opts: { sidecar?: Buffer | null } = {},
): Promise<RetryOutcome> {
  claimBusy([id]);
  const { store, log, actor } = deps;
  const tmpRoot = join(deps.dataDir, 'tmp');
  let work: string | null = null;
  try {
    if (!store.quarantine.get(id)) throw new TE('E_NOT_FOUND', `no quarantined file ${id}`);
    // DESIGN §1: the sealed name, sidecar and bytes are personal data (a "bad" file is
    // often a real call). Who opened them, and why, is on disk before the first is
    // unsealed, so a retry that then fails (a damaged file, a crash) still left its trace;
    // `quarantine.retried` follows with the outcome.
    await log.append([{ actor, action: 'quarantine.opened', target: `quarantine:${id}`, detail: { for: 'retry', sidecar: opts.sidecar != null ? 'corrected' : 'stored' } }]);
    const personal = quarantinePersonal(deps, id);
    await mkdirDurable(tmpRoot);
    work = await mkdtemp(join(tmpRoot, 'retry-'));
    const name = safeBase(personal.sourceName, 'original');
    const path = join(work, name);
    await writeFileDurable(path, quarantinedBytes(deps, id));
    const sidecar = opts.sidecar ?? (await quarantinedSidecar(deps, id));
    let sidecarPath: string | null = null;
    if (sidecar) {
      let side = safeBase(personal.sidecarName ?? '', 'sidecar.json');
      if (side === name) side = `${name}.json`;
      sidecarPath = join(work, side);
      await writeFileDurable(sidecarPath, sidecar);
    }
    const o = await deps.ingestFile({ path, relPath: personal.sourceName, sidecarPath }, { quarantineId: id, correctedSidecar: opts.sidecar != null });
    if (o.status === 'archived' || o.status === 'duplicate') return { outcome: o.status, recordingId: o.id };
    if (o.status === 'quarantined') return { outcome: 'quarantined', code: o.code, message: o.message };
    // deferred, rejected, skipped: the entry stays as it was
    const code = 'code' in o ? o.code : 'E_SKIPPED';
    const message = 'message' in o ? o.message : o.status === 'refused' ? `refused by gate ${o.gate} (${o.reason}): the entry and its bytes are gone` : o.reason;
    await store.tx(() => {
      store.inflight.remove(deps.keys.tokenize('source', path));
      log.appendSync([{ actor, action: 'quarantine.retried', target: `quarantine:${id}`, detail: { outcome: o.status, code } }]);
    });
    return { outcome: o.status, code, message };
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
    busy.delete(id);
  }
}

/** The last path component, if it is a usable file name. */
function safeBase(name: string, fallback: string): string {
  const b = basename(name.replaceAll('\\', '/'));
  return b && b !== '.' && b !== '..' && !b.includes('\0') ? b.slice(-200) : fallback;
}
