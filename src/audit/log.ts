import { rfc3339, systemClock, TresorError, type Clock } from '../core/index.ts';
import { parseVkey, type NoteSigner } from '../crypto/signing.ts';
import type { IndexStore } from '../store/index.ts';
import { formatCheckpoint } from './checkpoint.ts';
import { latestStored, openStoredCheckpoint, recentStored, storeCosignatures, type SignedCheckpoint } from './checkpoint-store.ts';
import { checkInput, formatEntry, GENESIS_PREV, type EntryInput, type LogEntry } from './entry.ts';
import { equalHash, hashLeaf, sha256, toHex, type Hash } from './hasher.ts';
import { consistencyProof, inclusionProof, isTreeSize, perfectSubtrees, rootAt } from './tree-math.ts';
import { storeLeaf, treeReader } from './tree-store.ts';
import { verifyAllStored, type VerifyReport } from './verify-all.ts';

/**
 * The tamper-evident access log (DESIGN §3): entries chained by `prev`, an RFC 6962
 * tree over them, and signed C2SP checkpoints. All state lives in the index's LMDB
 * environment (`log`, `tree`, `checkpoints` dbs); LMDB serialises writers across
 * processes, so the service and the CLI can both append.
 */
export interface AuditLogOptions {
  signer: NoteSigner;
  /** checkpoint origin; must equal the signer's key name (C2SP tlog-checkpoint) */
  origin: string;
  clock?: Clock;
  /** where failures of the checkpoint timer go (default: stderr) */
  onTimerError?: (e: unknown) => void;
  /** the index is open read-only (fsck): no catching-up writes at open */
  readOnly?: boolean;
}

export interface AuditLog {
  readonly origin: string;
  readonly vkey: string;
  /** append inside the caller's LMDB write transaction (or a new synchronous one) */
  appendSync(entries: EntryInput[]): LogEntry[];
  /** append in its own transaction; resolves once the entries are on disk */
  append(entries: EntryInput[]): Promise<LogEntry[]>;
  size(): number;
  rootHash(size?: number): Hash;
  entries(start: number, end: number): LogEntry[];
  /** the stored lines [start, end), exactly as hashed */
  lines(start: number, end: number): string[];
  inclusionProof(index: number, size: number): Hash[];
  consistencyProof(from: number, to: number): Hash[];
  /** hashes of the perfect subtrees covering [0, size), left to right */
  frontier(size: number): Hash[];
  latestCheckpoint(): SignedCheckpoint | null;
  /** every stored checkpoint, oldest first */
  checkpoints(): SignedCheckpoint[];
  /** the newest `limit` stored notes, newest first, as stored (not re-verified: cheap) */
  recentCheckpoints(limit: number): { size: number; note: string }[];
  /** signs the current size if the log grew since the last checkpoint; returns the latest */
  checkpointNow(): Promise<SignedCheckpoint>;
  /** keeps witness cosignature lines (verified by the caller) with the checkpoint for `size` */
  addCosignatures(size: number, lines: string[]): Promise<number>;
  startCheckpointTimer(intervalMs: number): void;
  stopCheckpointTimer(): void;
  verifyAll(onProgress?: (done: number, total: number) => void): Promise<VerifyReport>;
  /** entries naming this target or actor, newest first, older than `beforeSeq` */
  about(kind: 'target' | 'actor', value: string, limit: number, beforeSeq?: number): LogEntry[];
}

/** How many of the newest checkpoints are re-checked against the tree at open. */
const OPEN_CHECK_DEPTH = 16;

export function createAuditLog(store: IndexStore, opts: AuditLogOptions): AuditLog {
  const { signer, origin } = opts;
  const clock = opts.clock ?? systemClock;
  if (signer.name !== origin) {
    throw new TresorError('E_CONFIG', `log origin ${JSON.stringify(origin)} must equal the signing key name ${JSON.stringify(signer.name)}`);
  }
  const key = parseVkey(signer.vkey);
  const reader = treeReader(store.tree);
  let timer: NodeJS.Timeout | null = null;

  const size = (): number => store.log.tip() + 1;

  const checkSize = (what: string, n: number, max = size()) => {
    if (!isTreeSize(n) || n > max) throw new TresorError('E_INVALID', `${what} ${n} is not a size of this log (0…${max})`);
  };

  // Reads the tip and writes entries plus tree nodes; must run inside a write transaction.
  const appendInTxn = (inputs: EntryInput[]): LogEntry[] => {
    inputs.forEach(checkInput);
    const start = size();
    let prev = start === 0 ? GENESIS_PREV : toHex(sha256(tipLine(start - 1)));
    const time = rfc3339(clock.now());
    return inputs.map((input, i) => {
      const entry: LogEntry = { seq: start + i, time, actor: input.actor, action: input.action, target: input.target, detail: input.detail, prev };
      const line = formatEntry(entry);
      const bytes = Buffer.from(line, 'utf8');
      store.log.append(entry.seq, line, entry.target, entry.actor);
      storeLeaf(store.tree, reader, entry.seq, hashLeaf(bytes));
      prev = toHex(sha256(bytes));
      return entry;
    });
  };

  const tipLine = (seq: number): string => {
    const line = store.log.line(seq);
    if (line === undefined) throw new TresorError('E_LOG_INCONSISTENT', `log entry ${seq} is missing`);
    return line;
  };

  const lines = (start: number, end: number): string[] => {
    checkSize('end', end);
    checkSize('start', start, end);
    const out: string[] = [];
    for (const { key: seq, value } of store.log.range(start, end)) {
      if (seq !== start + out.length) throw new TresorError('E_LOG_INCONSISTENT', `log entry ${start + out.length} is missing`);
      out.push(value);
    }
    if (out.length !== end - start) throw new TresorError('E_LOG_INCONSISTENT', `log entry ${start + out.length} is missing`);
    return out;
  };

  const allCheckpoints = (): SignedCheckpoint[] =>
    store.checkpoints.all().map(({ size: s, note }) => openStoredCheckpoint(note, key, s));

  const latest = (): SignedCheckpoint | null => {
    const s = latestStored(store);
    return s ? openStoredCheckpoint(s.note, key, s.size) : null;
  };

  // Refuse to run on a log that contradicts what it signed: a restored old backup, a
  // truncated or edited tree. Signing on top of it would fork the log (no silent fork).
  const checkAgainstSigned = (): void => {
    const n = size();
    for (const s of recentStored(store, OPEN_CHECK_DEPTH)) {
      const cp = openStoredCheckpoint(s.note, key, s.size);
      if (cp.origin !== origin) {
        throw new TresorError('E_LOG_INCONSISTENT', `stored checkpoint for size ${cp.size} has origin ${cp.origin}, expected ${origin}`);
      }
      if (cp.size > n) {
        throw new TresorError('E_LOG_INCONSISTENT', `the log has ${n} entries but a checkpoint for ${cp.size} was signed: entries were lost (restored backup?)`);
      }
      if (!equalHash(rootAt(reader, cp.size), cp.root)) {
        throw new TresorError('E_LOG_INCONSISTENT', `the tree at size ${cp.size} does not match the signed checkpoint`);
      }
    }
  };
  checkAgainstSigned();
  if (!opts.readOnly) indexOlderEntries();

  // Logs written before the target/actor index existed get it once, in batches.
  function indexOlderEntries(): void {
    if (store.meta.logIndexVersion() === 1) return;
    const n = size();
    for (let from = 0; from < n; from += 10_000) {
      store.txSync(() => {
        for (const { key: seq, value } of store.log.range(from, Math.min(n, from + 10_000))) {
          const e = JSON.parse(value) as LogEntry;
          store.log.index(seq, e.target, e.actor);
        }
      });
    }
    store.txSync(() => store.meta.putLogIndexVersion(1));
  }

  const log: AuditLog = {
    origin,
    vkey: signer.vkey,
    appendSync: (inputs) => store.txSync(() => appendInTxn(inputs)),
    // async: lmdb may run the callback at once, and a refused entry must reject, not throw
    append: async (inputs) => store.tx(() => appendInTxn(inputs)),
    size,
    rootHash(n = size()) {
      checkSize('size', n);
      return rootAt(reader, n);
    },
    entries: (start, end) => lines(start, end).map((l) => JSON.parse(l) as LogEntry),
    lines,
    inclusionProof(index, n) {
      checkSize('size', n);
      if (!isTreeSize(index) || index >= n) throw new TresorError('E_INVALID', `index ${index} is not below size ${n}`);
      return inclusionProof(reader, index, n);
    },
    consistencyProof(from, to) {
      checkSize('to', to);
      if (!isTreeSize(from) || from < 1 || from > to) throw new TresorError('E_INVALID', `consistency proof needs 0 < from ≤ to, got ${from}, ${to}`);
      return consistencyProof(reader, from, to);
    },
    frontier(n) {
      checkSize('size', n);
      return perfectSubtrees(0, n).map(({ level, index }) => reader.node(level, index));
    },
    latestCheckpoint: latest,
    checkpoints: allCheckpoints,
    recentCheckpoints: (limit) => recentStored(store, limit),
    async checkpointNow() {
      const prior = latest();
      const n = size();
      if (prior && prior.size >= n) return prior;
      // The root at n never changes once written, so signing outside the write
      // transaction is safe; the transaction only decides whether to keep it.
      const root = rootAt(reader, n);
      const note = signer.sign(formatCheckpoint({ origin, size: n, root }));
      await store.tx(() => {
        if (store.checkpoints.get(n) === undefined) store.checkpoints.put(n, note);
      });
      return latest()!;
    },
    addCosignatures: (n, cosigs) => storeCosignatures(store, n, cosigs),
    startCheckpointTimer(intervalMs) {
      log.stopCheckpointTimer();
      const onError = opts.onTimerError ?? ((e: unknown) => process.stderr.write(`audit checkpoint failed: ${String(e)}\n`));
      timer = setInterval(() => log.checkpointNow().catch(onError), intervalMs);
      timer.unref();
    },
    stopCheckpointTimer() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    verifyAll: (onProgress) => verifyAllStored(store, { key, origin, onProgress }),
    about(kind, value, limit, beforeSeq = Number.MAX_SAFE_INTEGER) {
      const out: LogEntry[] = [];
      for (const seq of store.log.seqsAbout(kind, value, beforeSeq)) {
        const line = store.log.line(seq);
        if (line !== undefined) out.push(JSON.parse(line) as LogEntry);
        if (out.length >= limit) break;
      }
      return out;
    },
  };
  return log;
}
