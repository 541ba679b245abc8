import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { newId } from '../core/ids.ts';
import { writeFileDurable } from '../core/durable.ts';
import type { TresorError } from '../core/errors.ts';
import { TresorError as TE } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import { seal, open, type Keyring, type WrappedDek } from '../crypto/index.ts';
import type { IndexStore } from '../index/index.ts';
import type { IngestOutcome, SourceFile } from './pipeline.ts';

/**
 * Quarantine keeps bad input byte-identical and explains why (reason.json), but at rest
 * it is sealed like everything else: a "bad" file is often a real call that ffmpeg could
 * not read, and its name carries phone numbers. `restore` gives back the exact bytes.
 *
 *   <data>/quarantine/<id>/original.tsq   sealed original bytes
 *   <data>/quarantine/<id>/sidecar.tsq    sealed sidecar, when there was one
 *   <data>/quarantine/<id>/reason.json    code, message, sha256, size: no personal data
 */
export interface QuarantineRow {
  id: string;
  code: string;
  message: string;
  sourceSha256: string;
  sourceBytes: number;
  hasSidecar: boolean;
  quarantinedAt: number;
  attempts: number;
  /** sealed JSON {sourceName, sidecarName, detail} */
  personal: Uint8Array;
}

export interface QuarantineDeps {
  dataDir: string;
  store: IndexStore;
  keys: Keyring;
  log: LogWriter;
  actor: string;
}

export function quarantineDir(dataDir: string): string {
  return join(dataDir, 'quarantine');
}

export async function quarantine(
  deps: QuarantineDeps,
  input: { relPath: string; bytes: Buffer; sha256: string; sidecarName: string | null; sidecar: Buffer | null },
  err: TresorError,
  attempts: number,
): Promise<QuarantineRow> {
  const id = newId();
  const dir = join(quarantineDir(deps.dataDir), id);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const dek = deps.keys.newDek();
  // Crash story: files first (durable), then the index row + log entry in one
  // transaction, then the caller removes the source. A crash before the commit leaves an
  // unlisted folder (status reports it) and the source in the inbox: nothing is lost.
  await writeFileDurable(join(dir, 'original.tsq'), seal(dek, input.bytes));
  if (input.sidecar) await writeFileDurable(join(dir, 'sidecar.tsq'), seal(dek, input.sidecar));
  const row: QuarantineRow = {
    id,
    code: err.code,
    message: err.message,
    sourceSha256: input.sha256,
    sourceBytes: input.bytes.length,
    hasSidecar: input.sidecar !== null,
    quarantinedAt: Date.now(),
    attempts,
    personal: seal(dek, Buffer.from(JSON.stringify({
      sourceName: input.relPath, sidecarName: input.sidecarName, detail: err.detail,
    }))),
  };
  await writeFileDurable(join(dir, 'reason.json'), JSON.stringify({
    id, code: row.code, message: row.message, sourceSha256: row.sourceSha256, sourceBytes: row.sourceBytes,
    quarantinedAt: new Date(row.quarantinedAt).toISOString(), attempts,
    restore: `scripts/tresor quarantine restore ${id} --out FILE`,
  }, null, 2) + '\n');
  const wrapped = deps.keys.wrapDek(dek);
  deps.store.root.transactionSync(() => {
    deps.store.quarantine.put(id, row);
    deps.store.keys.put(`q:${id}`, wrapped);
    if (input.bytes.length > 0) deps.store.bySha.put(`q:${input.sha256}`, id);
    deps.log.appendSync([{
      actor: deps.actor, action: 'recording.quarantined', target: `quarantine:${id}`,
      detail: { code: row.code, sourceSha256: row.sourceSha256, sourceBytes: row.sourceBytes, attempts },
    }]);
  });
  return row;
}

export function listQuarantine(store: IndexStore): QuarantineRow[] {
  return [...store.quarantine.getRange()].map((e) => e.value as QuarantineRow);
}

export function quarantinedBySha(store: IndexStore, sha256: string): string | undefined {
  return store.bySha.get(`q:${sha256}`) as string | undefined;
}

/** Opens a quarantined item: exact original bytes, sidecar and the personal details. */
export async function openQuarantined(deps: Pick<QuarantineDeps, 'dataDir' | 'store' | 'keys'>, id: string) {
  const row = deps.store.quarantine.get(id) as QuarantineRow | undefined;
  const wrapped = deps.store.keys.get(`q:${id}`) as WrappedDek | undefined;
  if (!row || !wrapped) throw new TE('E_NOT_FOUND', `no quarantined file ${id}`);
  const dek = deps.keys.unwrapDek(wrapped);
  const dir = join(quarantineDir(deps.dataDir), id);
  const bytes = open(dek, await readFile(join(dir, 'original.tsq')));
  const sidecar = row.hasSidecar ? open(dek, await readFile(join(dir, 'sidecar.tsq'))) : null;
  const personal = JSON.parse(open(dek, row.personal).toString('utf8')) as {
    sourceName: string; sidecarName: string | null; detail: Record<string, unknown>;
  };
  return { row, bytes, sidecar, personal };
}

/** Folders without an index row: a crash between writing the files and the commit. */
export async function unlistedQuarantineFolders(dataDir: string, store: IndexStore): Promise<string[]> {
  let names: string[] = [];
  try {
    names = await readdir(quarantineDir(dataDir));
  } catch {
    return [];
  }
  return names.filter((n) => store.quarantine.get(n) === undefined);
}

// ---- retry and discard (console actions) ----------------------------------------------

/** Quarantine ids being retried or discarded in this process: a double click or a decision
 * taken while a retry runs must not act on the same entry twice. */
const busy = new Set<string>();

function claimBusy(id: string): void {
  if (busy.has(id)) throw new TE('E_USAGE', `quarantined file ${id} is being worked on right now; try again in a moment`);
  busy.add(id);
}

/**
 * Deletes a quarantined file for good: the DEK first (crypto-shred) together with the row
 * and the log entry in one transaction, then the folder. A crash after the commit leaves an
 * unreadable, unlisted folder (status reports it), never a listed entry without a file.
 * Callers make sure a second person agreed (four-eyes, src/retention/approvals.ts).
 */
export async function discardQuarantined(
  deps: Pick<QuarantineDeps, 'dataDir' | 'store' | 'log' | 'actor'>,
  id: string,
  detail: Record<string, unknown> = {},
): Promise<QuarantineRow> {
  claimBusy(id);
  try {
    const { store } = deps;
    const row = await store.root.transaction(() => {
      const r = store.quarantine.get(id) as QuarantineRow | undefined;
      if (!r) return undefined;
      store.quarantine.remove(id);
      store.keys.remove(`q:${id}`);
      if (store.bySha.get(`q:${r.sourceSha256}`) === id) store.bySha.remove(`q:${r.sourceSha256}`);
      deps.log.appendSync([{
        actor: deps.actor, action: 'quarantine.discarded', target: `quarantine:${id}`,
        detail: { code: r.code, sourceSha256: r.sourceSha256, sourceBytes: r.sourceBytes, ...detail },
      }]);
      return r;
    });
    if (!row) throw new TE('E_NOT_FOUND', `no quarantined file ${id}`);
    await rm(join(quarantineDir(deps.dataDir), id), { recursive: true, force: true });
    return row;
  } finally {
    busy.delete(id);
  }
}

export type RetryOutcome =
  | { outcome: 'archived' | 'duplicate'; recordingId: string }
  /** failed again: the one entry stays, with the new reason and one more attempt */
  | { outcome: 'quarantined'; code: string; message: string }
  /** not decided (disk full, time-out, another process): the entry stays as it was */
  | { outcome: 'deferred' | 'rejected' | 'skipped'; code: string; message: string };

/**
 * Runs a quarantined file through ingest again (after an ffmpeg upgrade, a time-out under
 * load, a fixed disk): the sealed original is opened into a private temporary folder in
 * the data dir (0700/0600, under its original name so the name's metadata is parsed
 * again) and handed to `ingestFile`, which must dispose of sources by deleting them.
 *
 * Archived or duplicate → the quarantine entry goes. Failing again → still exactly one
 * entry: the pipeline's fresh entry is folded back into this one (new reason, attempts+1),
 * so ids that approvals refer to stay valid. Every retry logs `quarantine.retried`.
 */
export async function retryQuarantined(
  deps: QuarantineDeps & { ingestFile(src: SourceFile): Promise<IngestOutcome> },
  id: string,
): Promise<RetryOutcome> {
  claimBusy(id);
  const { store, log, actor } = deps;
  const tmpRoot = join(deps.dataDir, 'tmp');
  let work: string | null = null;
  let mappingRemoved = false;
  try {
    const q = await openQuarantined(deps, id);
    await mkdir(tmpRoot, { recursive: true, mode: 0o700 });
    work = await mkdtemp(join(tmpRoot, 'retry-'));
    const name = safeBase(q.personal.sourceName, 'original');
    const path = join(work, name);
    await writeFile(path, q.bytes, { mode: 0o600, flag: 'wx' });
    let sidecarPath: string | null = null;
    if (q.sidecar) {
      let side = safeBase(q.personal.sidecarName ?? '', 'sidecar.json');
      if (side === name) side = `${name}.json`;
      sidecarPath = join(work, side);
      await writeFile(sidecarPath, q.sidecar, { mode: 0o600, flag: 'wx' });
    }
    // The pipeline would call the bytes a duplicate of this very entry; step aside.
    const sha = q.row.sourceSha256;
    await store.root.transaction(() => {
      if (store.bySha.get(`q:${sha}`) === id) {
        store.bySha.remove(`q:${sha}`);
        mappingRemoved = true;
      }
    });
    const o = await deps.ingestFile({ path, relPath: q.personal.sourceName, sidecarPath });
    const retried = (detail: Record<string, unknown>) => ({
      actor, action: 'quarantine.retried', target: `quarantine:${id}`, detail: { attempts: q.row.attempts + 1, ...detail },
    });

    if ((o.status === 'archived' || o.status === 'duplicate') && store.recordings.get(o.id) !== undefined) {
      await store.root.transaction(() => {
        store.quarantine.remove(id);
        store.keys.remove(`q:${id}`);
        if (store.bySha.get(`q:${sha}`) === id) store.bySha.remove(`q:${sha}`);
        log.appendSync([retried({ outcome: o.status, recording: `recording:${o.id}` })]);
      });
      mappingRemoved = false;
      await rm(join(quarantineDir(deps.dataDir), id), { recursive: true, force: true });
      return { outcome: o.status, recordingId: o.id };
    }

    if (o.status === 'quarantined') {
      const fresh = o.quarantineId;
      const updated: QuarantineRow = { ...q.row, code: o.code, message: o.message, attempts: q.row.attempts + 1 };
      await store.root.transaction(() => {
        store.quarantine.put(id, updated);
        store.quarantine.remove(fresh);
        store.keys.remove(`q:${fresh}`);
        store.bySha.put(`q:${sha}`, id);
        log.appendSync([retried({ outcome: 'quarantined', code: o.code, merged: `quarantine:${fresh}` })]);
      });
      mappingRemoved = false;
      await rm(join(quarantineDir(deps.dataDir), fresh), { recursive: true, force: true });
      await writeFileDurable(join(quarantineDir(deps.dataDir), id, 'reason.json'), JSON.stringify({
        id, code: updated.code, message: updated.message, sourceSha256: updated.sourceSha256, sourceBytes: updated.sourceBytes,
        quarantinedAt: new Date(updated.quarantinedAt).toISOString(), attempts: updated.attempts, lastRetryAt: new Date().toISOString(),
        restore: `scripts/tresor quarantine restore ${id} --out FILE`,
      }, null, 2) + '\n');
      return { outcome: 'quarantined', code: o.code, message: o.message };
    }

    // deferred, rejected, skipped (or a duplicate of another quarantined file): keep as is
    const code = 'code' in o ? o.code : o.status === 'skipped' ? 'E_SKIPPED' : 'E_DUPLICATE';
    const message = 'message' in o ? o.message : o.status === 'skipped' ? o.reason : `same bytes as ${o.id}`;
    const outcome = o.status === 'deferred' || o.status === 'rejected' ? o.status : 'skipped';
    await store.root.transaction(() => {
      if (mappingRemoved && store.bySha.get(`q:${sha}`) === undefined) store.bySha.put(`q:${sha}`, id);
      store.inflight.remove(deps.keys.token('source', path));
      log.appendSync([retried({ outcome, code })]);
    });
    mappingRemoved = false;
    return { outcome, code, message };
  } finally {
    if (mappingRemoved) {
      const row = store.quarantine.get(id) as QuarantineRow | undefined;
      if (row) await store.root.transaction(() => {
        if (store.bySha.get(`q:${row.sourceSha256}`) === undefined) store.bySha.put(`q:${row.sourceSha256}`, id);
      });
    }
    if (work) await rm(work, { recursive: true, force: true });
    busy.delete(id);
  }
}

/** The last path component, if it is a usable file name. */
function safeBase(name: string, fallback: string): string {
  const b = basename(name.replaceAll('\\', '/'));
  return b && b !== '.' && b !== '..' && !b.includes('\0') ? b.slice(-200) : fallback;
}
