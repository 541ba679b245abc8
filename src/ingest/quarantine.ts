import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { newId } from '../core/ids.ts';
import { writeFileDurable } from '../core/durable.ts';
import type { TresorError } from '../core/errors.ts';
import { TresorError as TE } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import { seal, open, type Keyring, type WrappedDek } from '../crypto/index.ts';
import type { IndexStore } from '../index/index.ts';

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
