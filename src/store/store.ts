import { mkdirSync } from 'node:fs';
import { constants as os } from 'node:os';
import { join } from 'node:path';
import { open, type Database } from 'lmdb';
import { TresorError } from '../core/errors.ts';
import { inspectIndexFile } from './meta-page.ts';
import { otherIndexHolders } from './holders.ts';
import { ApprovalsTable } from './approvals.ts';
import { startWriterWaitWatch, writerWaitNoticesEnabled, type WriterWaitWatch } from './writer-wait.ts';
import { LMDB_OPTIONS, type Handles } from './handles.ts';
import { MetaTable } from './meta.ts';
import { CheckpointsTable, LogTable, TreeTable } from './log.ts';
import { PoliciesTable } from './policies.ts';
import { PurgedTable, PurgeRunsTable } from './purge.ts';
import { HoldsTable } from './holds.ts';
import { UsersTable } from './users.ts';
import { SessionsTable } from './sessions.ts';
import { ApiTokensTable } from './api-tokens.ts';
import { RecordingsTable } from './recordings.ts';
import { KeysTable } from './keys.ts';
import { SegmentsTable } from './segments.ts';
import { InflightTable } from './inflight.ts';
import { QuarantineTable } from './quarantine.ts';
import { RequestsTable } from './requests.ts';
import { AlertsTable } from './alerts.ts';
import { BreachesTable } from './breaches.ts';
import { ObjectionsTable } from './objections.ts';
import { ConsentPendingTable } from './consent-pending.ts';
import { ExtensionsTable } from './extensions.ts';

/**
 * The one place that opens LMDB (DESIGN §2). One environment, named databases inside it,
 * so a single write transaction can cover a recording, its keys and its log entry.
 *
 * The open options and why: LMDB_OPTIONS (handles.ts). The raw handles stay in this
 * folder: every table has an owner file with named queries.
 *
 * Never open `index/lock.mdb` with plain fs calls in a process that has the index open:
 * closing that descriptor drops the process's POSIX locks on the file, the next process
 * to open the index resets the reader table, and the live process's commits then fail
 * with EINVAL and never resolve (seen in a test that scanned the data dir in-process).
 */
export interface IndexStore {
  /** small settings of the archive: site id, setup link, clock guard, KEK rotation (meta.ts) */
  meta: MetaTable;
  /** recordings and their secondary indexes (tokens, byStart, bySha, byExpiry) (recordings.ts) */
  recordings: RecordingsTable;
  /** recording id (or `q:<quarantine id>`) → wrapped DEK; deleting it crypto-shreds the recording (keys.ts) */
  keys: KeysTable;
  /** segment name → SegmentRow (segments.ts) */
  segments: SegmentsTable;
  /** token of the source path → InflightRow: files being ingested, for crash recovery (inflight.ts) */
  inflight: InflightTable;
  /** quarantine id → QuarantineRow, and its `q:` entries in bySha (quarantine.ts) */
  quarantine: QuarantineTable;
  /** the access log's lines and their target/actor index (log.ts) */
  log: LogTable;
  /** the RFC 6962 tree over the log (log.ts) */
  tree: TreeTable;
  /** signed checkpoints by tree size (log.ts) */
  checkpoints: CheckpointsTable;
  /** retention policies by name (policies.ts) */
  policies: PoliciesTable;
  /** purge tombstones: when and under which policy a recording went, no personal data (purge.ts) */
  purged: PurgedTable;
  /** purge runs (progress, so a killed purge resumes) (purge.ts) */
  purgeRuns: PurgeRunsTable;
  /** legal holds (holds.ts) */
  holds: HoldsTable;
  /** users by name (users.ts) */
  users: UsersTable;
  /** console sessions by SHA-256 of the session id (sessions.ts) */
  sessions: SessionsTable;
  /** API tokens by id (api-tokens.ts) */
  apiTokens: ApiTokensTable;
  /** four-eyes requests by id (approvals.ts) */
  approvals: ApprovalsTable;
  /** data-subject requests and their identifier tokens (requests.ts) */
  requests: RequestsTable;
  /** alert episodes (alerts.ts) */
  alerts: AlertsTable;
  /** the breach register, Art. 33(5) (breaches.ts) */
  breaches: BreachesTable;
  /** the objection / do-not-record register and its identifier tokens (objections.ts) */
  objections: ObjectionsTable;
  /** consent events that came before their recording, by call-id token (consent-pending.ts) */
  consentPending: ConsentPendingTable;
  extensions: ExtensionsTable;
  /**
   * One all-or-nothing write transaction: every write `fn` makes commits together, or
   * none does when it throws. lmdb-js's async `root.transaction()` does NOT give that: a
   * callback that throws after writing leaves its earlier writes in the commit (proven in
   * test/store-tx.test.ts; issue 9: a recording row without its key, then a "duplicate"
   * that deleted the source). `tx` runs `fn` as an LMDB child transaction
   * (`childTransaction`): aborted on throw, batched with other writers into one durable
   * commit, so the event loop never waits for the fsync. `fn` must be synchronous.
   * Resolves once the commit is on disk (overlappingSync: false); rejects with `fn`'s
   * error, or with the commit's (ENOSPC) — then nothing of `fn` is stored either.
   */
  tx<T>(fn: () => T): Promise<T>;
  /**
   * A synchronous write transaction that blocks the event loop until its fsync: for
   * start-up steps and `appendSync` outside any transaction. Inside `tx` (or another
   * `txSync`) it runs as a child transaction of it and commits with it. Aborted on throw.
   */
  txSync<T>(fn: () => T): T;
  close(): Promise<void>;
}

export interface OpenIndexOptions {
  /**
   * LMDB read-only: never creates, never writes (fsck). The index must exist. A named
   * database that an older version never created reads as empty.
   */
  readOnly?: boolean;
}

export function openIndex(dataDir: string, opts: OpenIndexOptions = {}): IndexStore {
  const path = join(dataDir, 'index');
  // before LMDB maps the file: a file shorter than its meta page says is a SIGBUS later
  const file = inspectIndexFile(dataDir);
  if (opts.readOnly && (file.kind === 'missing' || file.kind === 'empty')) {
    throw new TresorError('E_NO_ARCHIVE', `there is no index in ${path} (${file.kind === 'empty' ? 'data.mdb is empty' : 'no data.mdb'})`, { detail: { dataDir } });
  }
  if (!opts.readOnly) mkdirSync(path, { recursive: true, mode: 0o700 });
  const watch = opts.readOnly ? null : writerWaitWatch(dataDir);
  // opening the named databases below takes the writer lock as well
  const opened = watch?.enter();
  const root = open({ path, ...LMDB_OPTIONS, readOnly: opts.readOnly === true });
  const db = <V = any, K extends import('lmdb').Key = string>(name: string, o: object = {}) =>
    root.openDB<V, K>({ name, ...o }) ?? (emptyReadOnly(name) as unknown as Database<V, K>);
  const h: Handles = {
    root,
    meta: db('meta'),
    recordings: db('recordings'),
    tokens: db<any, any[]>('tokens'),
    byStart: db<any, any[]>('byStart'),
    bySha: db('bySha'),
    keys: db('keys'),
    segments: db('segments'),
    inflight: db('inflight'),
    quarantine: db('quarantine'),
    log: db<string, number>('log', { encoding: 'string' }),
    tree: db<Buffer, any[]>('tree', { encoding: 'binary' }),
    checkpoints: db<string, number>('checkpoints', { encoding: 'string' }),
    logIndex: db<any, any[]>('logIndex'),
    policies: db('policies'),
    byExpiry: db<any, any[]>('byExpiry'),
    purged: db('purged'),
    purgeRuns: db('purgeRuns'),
    holds: db('holds'),
    users: db('users'),
    sessions: db('sessions'),
    apiTokens: db('apiTokens'),
    approvals: db('approvals'),
    requests: db('requests'),
    requestTokens: db<any, any[]>('requestTokens'),
    alerts: db('alerts'),
    breaches: db('breaches'),
    objections: db('objections'),
    objectionTokens: db<any, any[]>('objectionTokens'),
    consentPending: db<any, any[]>('consentPending'),
    extensions: db('extensions'),
  };
  const store: IndexStore = {
    meta: new MetaTable(h),
    recordings: new RecordingsTable(h),
    keys: new KeysTable(h),
    segments: new SegmentsTable(h),
    inflight: new InflightTable(h),
    quarantine: new QuarantineTable(h),
    log: new LogTable(h),
    tree: new TreeTable(h),
    checkpoints: new CheckpointsTable(h),
    policies: new PoliciesTable(h),
    purged: new PurgedTable(h),
    purgeRuns: new PurgeRunsTable(h),
    holds: new HoldsTable(h),
    users: new UsersTable(h),
    sessions: new SessionsTable(h),
    apiTokens: new ApiTokensTable(h),
    approvals: new ApprovalsTable(h),
    requests: new RequestsTable(h),
    alerts: new AlertsTable(h),
    breaches: new BreachesTable(h),
    objections: new ObjectionsTable(h),
    consentPending: new ConsentPendingTable(h),
    extensions: new ExtensionsTable(h),
    // async: a nested call (inside another write transaction) runs at once and may throw
    // synchronously; callers always get a promise
    tx: async <T>(fn: () => T): Promise<T> => {
      try {
        return (await root.childTransaction(fn)) as T;
      } catch (e) {
        throw await commitFailure(e);
      }
    },
    txSync: <T>(fn: () => T): T => root.transactionSync(fn) as T,
    // lmdb-js 3.5: close() called in the same synchronous run as a transactionSync()
    // never resolves (it waits for a write that has already finished); one turn first.
    close: async () => {
      await new Promise<void>((r) => setImmediate(r));
      await root.close();
    },
  };
  opened?.();
  watch?.wrap(root);
  return store;
}

/** A CLI command next to another process that has the index open says when it waits for its lock. */
function writerWaitWatch(dataDir: string): WriterWaitWatch | null {
  if (!writerWaitNoticesEnabled()) return null;
  try {
    const others = otherIndexHolders(dataDir);
    return others.length ? startWriterWaitWatch(others) : null;
  } catch {
    return null; // no /proc/locks: no notices, the command still works
  }
}

/** What a read-only open gives for a named database an older version never created. */
function emptyReadOnly(name: string): object {
  const refuse = () => {
    throw new TresorError('E_INTERNAL', `the index is open read-only (database ${name})`);
  };
  return {
    get: () => undefined, doesExist: () => false, getCount: () => 0,
    getRange: () => [], getKeys: () => [], getValues: () => [], getStats: () => ({ entryCount: 0 }),
    put: refuse, remove: refuse, putSync: refuse, removeSync: refuse,
  };
}

/**
 * lmdb-js rejects a failed commit with "Commit failed (see commitError for details)" and
 * no code; the cause (ENOSPC as errno 28) sits in `commitError`, a second promise that
 * nobody handles unless we do. Returns an error whose `code` names the errno, so callers
 * map a full disk to E_DISK_FULL (core/errors.ts) and defer instead of guessing.
 */
async function commitFailure(e: unknown): Promise<unknown> {
  const inner = (e as { commitError?: Promise<unknown> } | null)?.commitError;
  if (!inner || typeof inner.then !== 'function') return e;
  // lmdb rejects it right after the caller's promise; never wait long for it
  const cause = await Promise.race([inner.then(() => null, (x: unknown) => x), new Promise((r) => setTimeout(() => r(null), 1000))]);
  const n = (cause as { code?: unknown } | null)?.code;
  const errno = typeof n === 'number' ? Object.entries(os.errno).find(([, v]) => v === n)?.[0] : undefined;
  const msg = cause instanceof Error ? cause.message : (e as Error).message;
  return Object.assign(new Error(`index commit failed: ${msg}`, { cause: cause ?? e }), errno ? { code: errno } : {});
}

/**
 * True for the rejection lmdb-js leaves unhandled inside itself after every failed
 * commit (besides rejecting the caller's own promise): the process's unhandledRejection
 * policy (src/service.ts) logs it as "index commit failed" instead of dying on it.
 */
export function isLmdbCommitEcho(reason: unknown): boolean {
  if (!(reason instanceof Error)) return false;
  if ('commitError' in reason && /^Commit failed/.test(reason.message)) return true;
  // the cause itself, when nobody awaited `commitError`: lmdb's errors carry a numeric errno
  return typeof (reason as { code?: unknown }).code === 'number' && /[\\/]lmdb[\\/]/.test(reason.stack ?? '');
}
