import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TresorError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { mkdirDurable, writeFileDurable } from '../core/durable.ts';
import type { HoldRow, IndexStore, PurgedRow, PurgeRunRow, RecordingRow } from '../store/index.ts';
import type { NewLogEntry } from '../core/types.ts';
import type { AuditLog } from '../audit/index.ts';
import { activeHolds, heldBy } from './holds.ts';
import { packagesHolding, processAlive, processStartTime, removePackageCopies } from '../core/index.ts';

/**
 * Purge = crypto-shredding (DESIGN §4): in one transaction per small batch, the wrapped
 * DEK goes (audio and personal metadata become unreadable), the row and every secondary
 * entry go (tokens, time, sha, expiry), a tombstone with no personal data stays (so the
 * DPO can say when and under which policy a call went), and a `recording.purged` entry
 * is appended. A batch is all or nothing, so `kill -9` leaves no half-purged recording;
 * the next run simply continues with what is still due.
 *
 * Batches are small on purpose: LMDB records the pages one transaction frees as one
 * freelist record, and a huge record makes every later commit rewrite it (seen: 90 ms
 * per commit after one bulk change instead of 2 ms).
 */
export const PURGE_BATCH = 250;

export interface PurgeItem {
  id: string;
  start: number;
  policy: string | null;
  expiresAt: number;
  storedBytes: number;
}

export interface PurgePlan {
  now: number;
  due: PurgeItem[];
  held: (PurgeItem & { hold: string })[];
}

export interface PurgeDeps {
  store: IndexStore;
  log: AuditLog;
  dataDir: string;
}

function itemOf(row: RecordingRow): PurgeItem {
  return { id: row.id, start: row.start, policy: row.retention?.policy ?? null, expiresAt: row.retention!.expiresAt!, storedBytes: row.storedBytes };
}

/** What a purge at `now` would take, and what holds keep (the dry run shows exactly this). */
export function planPurge(store: IndexStore, now: number, holds: HoldRow[] = activeHolds(store)): PurgePlan {
  const plan: PurgePlan = { now, due: [], held: [] };
  for (const id of store.recordings.expiringBefore(now)) {
    const row = store.recordings.get(id);
    if (!row || row.retention?.expiresAt == null || row.retention.expiresAt > now) continue;
    const hold = heldBy(store, row, holds);
    if (hold) plan.held.push({ ...itemOf(row), hold });
    else plan.due.push(itemOf(row));
  }
  return plan;
}

/**
 * Crypto-shreds the given recordings, re-checking each one inside the transaction: a
 * hold placed, a policy lengthened or a purge by another process since the plan was
 * made wins over the plan. Returns the ids actually purged.
 *
 * `check` is the caller's own re-check inside the transaction (a reason to skip, or
 * null); `lead` gives entries logged just before a call's `recording.purged`, in the same
 * transaction (the consent decision that caused it, src/consent/unknown.ts).
 */
export async function shred(
  deps: PurgeDeps, ids: string[],
  o: {
    by: string; now: number; reason: PurgedRow['reason']; run: string | null; approval?: string | null; request?: string;
    check?: (row: RecordingRow) => string | null; lead?: (row: RecordingRow) => NewLogEntry[];
  },
): Promise<{ purged: PurgedRow[]; skipped: { id: string; why: string }[] }> {
  const { store, log } = deps;
  const purged: PurgedRow[] = [];
  const skipped: { id: string; why: string }[] = [];
  for (let i = 0; i < ids.length; i += PURGE_BATCH) {
    const batch = ids.slice(i, i + PURGE_BATCH);
    await store.tx(() => {
      const holds = activeHolds(store);
      const entries = [];
      for (const id of batch) {
        const row = store.recordings.get(id);
        if (!row) {
          skipped.push({ id, why: store.purged.get(id) ? 'already purged' : 'no such recording' });
          continue;
        }
        if (o.reason === 'policy' && (row.retention?.expiresAt == null || row.retention.expiresAt > o.now)) {
          skipped.push({ id, why: 'not due any more (policy changed)' });
          continue;
        }
        const own = o.check?.(row) ?? null;
        if (own) {
          skipped.push({ id, why: own });
          continue;
        }
        const hold = heldBy(store, row, holds);
        if (hold) {
          skipped.push({ id, why: `legal hold ${hold}` });
          continue;
        }
        const p: PurgedRow = {
          v: 1, id, start: row.start, durationMs: row.durationMs, queue: row.queue, policy: row.retention?.policy ?? null,
          expiresAt: row.retention?.expiresAt ?? null, purgedAt: o.now, reason: o.reason, by: o.by, run: o.run,
          approval: o.approval ?? null, storedBytes: row.storedBytes, segment: row.segment, offset: row.offset, length: row.length,
        };
        store.keys.remove(id);
        store.recordings.drop(id);
        store.purged.put(p);
        purged.push(p);
        if (o.lead) entries.push(...o.lead(row));
        entries.push({
          actor: o.by, action: 'recording.purged', target: `recording:${id}`,
          detail: {
            reason: o.reason, policy: p.policy, expiresAt: p.expiresAt === null ? null : new Date(p.expiresAt).toISOString(),
            ...(o.run ? { run: o.run } : {}), ...(o.approval ? { approval: o.approval } : {}), ...(o.request ? { request: o.request } : {}),
          },
        });
      }
      if (entries.length) log.appendSync(entries);
    });
  }
  if (purged.length) await removeCopiesOf(deps, o.by, purged.map((p) => p.id));
  return { purged, skipped };
}

/**
 * An erased call must not live on as a decrypted copy: every access package that holds it
 * (folder and ZIP, src/core/copies.ts) is removed and logged `request.package.removed`
 * (reason erasure). The call's key is gone already, so the copy is the only plaintext left.
 */
async function removeCopiesOf(deps: PurgeDeps, by: string, ids: string[]): Promise<void> {
  const released = (req: string) => deps.store.requests.get(req)?.package?.released?.ids ?? null;
  const gone = new Set(ids);
  for (const req of packagesHolding(deps.dataDir, ids, released)) {
    const named = released(req);
    await removePackageCopies(deps.log, by, deps.dataDir, req, { reason: 'erasure', zip: true, ...(named ? { calls: named.filter((id) => gone.has(id)).length } : {}) });
  }
}

export interface PurgeResult {
  run: PurgeRunRow;
  plan: PurgePlan;
  skipped: { id: string; why: string }[];
}

/**
 * One purge run: plan, shred in batches, write the deletion report (JSON + CSV, no
 * personal data), log `purge.completed` with the report's SHA-256, and sign a checkpoint
 * that covers all of it — the report is then provably part of the log.
 */
export async function runPurge(deps: PurgeDeps, o: { by: string; now: number; onProgress?: (done: number, total: number) => void }): Promise<PurgeResult> {
  const { store, log } = deps;
  await finishInterruptedRuns(deps);
  const plan = planPurge(store, o.now);
  const run: PurgeRunRow = {
    id: newId(o.now), by: o.by, startedAt: o.now, finishedAt: null, state: 'running', purged: 0, held: plan.held.length, report: null,
    pid: process.pid, pidStart: processStartTime(process.pid),
  };
  await store.tx(() => {
    store.purgeRuns.put(run);
    log.appendSync([{ actor: o.by, action: 'purge.started', target: `purge:${run.id}`, detail: { due: plan.due.length, held: plan.held.length } }]);
  });
  const all: PurgedRow[] = [];
  const skipped: { id: string; why: string }[] = [];
  const ids = plan.due.map((d) => d.id);
  for (let i = 0; i < ids.length; i += PURGE_BATCH * 8) {
    const r = await shred(deps, ids.slice(i, i + PURGE_BATCH * 8), { by: o.by, now: o.now, reason: 'policy', run: run.id });
    all.push(...r.purged);
    skipped.push(...r.skipped);
    o.onProgress?.(Math.min(ids.length, i + PURGE_BATCH * 8), ids.length);
  }
  run.report = await writeReport(deps.dataDir, run, all, plan.held);
  run.purged = all.length;
  run.state = 'done';
  run.finishedAt = Date.now();
  await store.tx(() => {
    store.purgeRuns.put(run);
    log.appendSync([{
      actor: o.by, action: 'purge.completed', target: `purge:${run.id}`,
      detail: { purged: all.length, held: plan.held.length, skipped: skipped.length, reportSha256: run.report!.sha256 },
    }]);
  });
  await log.checkpointNow();
  return { run, plan, skipped };
}

const CSV_HEAD = 'recording_id,call_start_utc,duration_s,queue,policy,expired_utc,purged_utc,reason,by,run,approval';
const csvCell = (v: string | number | null) => {
  const s = v === null ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function reportCsv(rows: PurgedRow[]): string {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return [CSV_HEAD, ...rows.map((p) => [p.id, iso(p.start), Math.round(p.durationMs / 1000), p.queue, p.policy, iso(p.expiresAt), iso(p.purgedAt), p.reason, p.by, p.run, p.approval].map(csvCell).join(','))].join('\n') + '\n';
}

/**
 * A run killed after some batches (kill -9, power cut) left state "running" and no
 * report, although its batches committed. The tombstones say exactly what it purged
 * (each names its run), so the next run writes the missing report from them, logs
 * `purge.interrupted` with its SHA-256 (the checkpoint at the end of the next run covers
 * it) and marks the run interrupted. A run whose process is still alive (the service
 * and the CLI may both purge) is left alone.
 */
export async function finishInterruptedRuns(deps: PurgeDeps): Promise<PurgeRunRow[]> {
  const { store, log } = deps;
  const dead: PurgeRunRow[] = [];
  for (const r of store.purgeRuns.all()) {
    if (r.state === 'running' && !(r.pid !== undefined && processAlive(r.pid, r.pidStart ?? null))) dead.push(r);
  }
  if (!dead.length) return [];
  const byRun = new Map<string, PurgedRow[]>(dead.map((r) => [r.id, []]));
  for (const p of store.purged.all()) {
    if (p.run) byRun.get(p.run)?.push(p);
  }
  const finished: PurgeRunRow[] = [];
  for (const r of dead) {
    const rows = byRun.get(r.id)!.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
    const report = await writeReport(deps.dataDir, r, rows, null);
    const next: PurgeRunRow = { ...r, state: 'interrupted', purged: rows.length, report, finishedAt: Date.now() };
    await store.tx(() => {
      store.purgeRuns.put(next);
      log.appendSync([{
        actor: 'system:retention', action: 'purge.interrupted', target: `purge:${r.id}`,
        detail: { purged: rows.length, reportSha256: report!.sha256 },
      }]);
    });
    finished.push(next);
  }
  return finished;
}

/** `held` null: not known (a report finished after its run was killed). */
async function writeReport(dataDir: string, run: PurgeRunRow, rows: PurgedRow[], held: PurgePlan['held'] | null): Promise<PurgeRunRow['report']> {
  const dir = join(dataDir, 'reports');
  await mkdirDurable(dir); // fsynced into the data dir: a report lost at a power cut is a purge nobody can prove
  const json = JSON.stringify({
    run: run.id, by: run.by, startedAt: new Date(run.startedAt).toISOString(), purged: rows.length,
    ...(held === null ? { interrupted: true } : {}),
    held: (held ?? []).map((h) => ({ id: h.id, hold: h.hold, policy: h.policy, expiresAt: new Date(h.expiresAt).toISOString() })),
    recordings: rows.map((p) => ({ id: p.id, start: new Date(p.start).toISOString(), policy: p.policy, expiresAt: p.expiresAt === null ? null : new Date(p.expiresAt).toISOString(), purgedAt: new Date(p.purgedAt).toISOString() })),
  }, null, 2) + '\n';
  const csv = reportCsv(rows);
  const jsonPath = join(dir, `purge-${run.id}.json`);
  const csvPath = join(dir, `purge-${run.id}.csv`);
  await writeFileDurable(jsonPath, json);
  await writeFileDurable(csvPath, csv);
  const sha256 = createHash('sha256').update(json).update(csv).digest('hex');
  return { json: jsonPath, csv: csvPath, sha256 };
}

/** Why a recording is gone (tombstone) or, when it is still there, why it still is. */
export function whyStillHere(store: IndexStore, id: string, now: number): { state: 'purged'; purged: PurgedRow } | { state: 'kept'; policy: string | null; expiresAt: number | null; hold: string | null; due: boolean; awaitingClock: boolean } {
  const p = store.purged.get(id);
  if (p) return { state: 'purged', purged: p };
  const row = store.recordings.get(id);
  if (!row) throw new TresorError('E_NOT_FOUND', `no recording ${id}, and no record of a purge`);
  const hold = heldBy(store, row);
  const expiresAt = row.retention?.expiresAt ?? null;
  return { state: 'kept', policy: row.retention?.policy ?? null, expiresAt, hold, due: expiresAt !== null && expiresAt <= now, awaitingClock: !!row.retention?.awaitingClock };
}
