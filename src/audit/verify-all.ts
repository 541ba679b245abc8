import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { verifyNote, type Verifier } from '../crypto/signing.ts';
import type { IndexStore } from '../store/index.ts';
import { parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { createCompactRange } from './compact-range.ts';
import { GENESIS_PREV, parseEntryLine } from './entry.ts';
import { equalHash, hashLeaf, sha256, toHex, type Hash } from './hasher.ts';
import { consistencyProof } from './tree-math.ts';
import { consistencyProblem } from './tree-verify.ts';
import { treeReader } from './tree-store.ts';

/**
 * Full integrity check of the stored log: every line well-formed and chained, every
 * stored tree node equal to the one recomputed from the lines, every checkpoint signed
 * by our key, for our origin, matching the recomputed root at its size, and consistent
 * with the next one. Collects every problem instead of stopping at the first.
 */
export interface VerifyReport {
  ok: boolean;
  size: number;
  checkpoints: number;
  problems: string[];
}

const MAX_PROBLEMS = 1000;
const YIELD_EVERY = 8192;

export async function verifyAllStored(
  store: IndexStore,
  opts: { key: Verifier; origin: string; onProgress?: (done: number, total: number) => void },
): Promise<VerifyReport> {
  const problems: string[] = [];
  let dropped = 0;
  const problem = (p: string) => (problems.length < MAX_PROBLEMS ? problems.push(p) : dropped++);

  // Snapshot the size first: entries appended while we verify are simply not covered.
  const size = store.log.tip() + 1;
  const stored = readCheckpoints(store, opts, problem);
  const cps = stored.filter((c) => c.size <= size);
  for (const c of stored) if (c.size > size) problem(`checkpoint for size ${c.size} is beyond the log's ${size} entries (entries lost)`);

  const range = createCompactRange();
  const roots = new Map<number, Hash>();
  let cpIdx = 0;
  const captureRoots = () => {
    while (cpIdx < cps.length && cps[cpIdx]!.size === range.size) roots.set(cps[cpIdx++]!.size, range.root());
  };
  captureRoots();
  let prev = GENESIS_PREV;
  let expect = 0;
  for (const { key: seq, value: line } of store.log.range(0, size)) {
    if (seq !== expect) {
      problem(`entries ${expect}…${seq - 1} are missing`);
      break; // the tree cannot be recomputed past a hole
    }
    const parsed = parseEntryLine(line);
    if (parsed.entry === null) problem(`entry ${seq}: ${parsed.problem}`);
    else {
      if (parsed.entry.seq !== seq) problem(`entry ${seq}: its seq field says ${parsed.entry.seq}`);
      if (parsed.entry.prev !== prev) problem(`entry ${seq}: prev does not match the hash of entry ${seq - 1} (chain broken)`);
    }
    const bytes = Buffer.from(line, 'utf8');
    prev = toHex(sha256(bytes));
    range.append(hashLeaf(bytes), (level, index, hash) => {
      const s = store.tree.node(level, index);
      if (!s || !equalHash(s, hash)) problem(`tree node (${level}, ${index}) does not match entries (entry ${seq} or the node was altered)`);
    });
    captureRoots();
    expect++;
    if (expect % YIELD_EVERY === 0) {
      opts.onProgress?.(expect, size);
      await yieldToLoop();
    }
  }
  if (expect === size) opts.onProgress?.(size, size);

  checkCheckpoints(cps, roots, store, problem);
  if (dropped > 0) problems.push(`… and ${dropped} more problems`);
  return { ok: problems.length === 0, size, checkpoints: stored.length, problems };
}

function readCheckpoints(
  store: IndexStore,
  opts: { key: Verifier; origin: string },
  problem: (p: string) => void,
): (Checkpoint & { note: string })[] {
  const out: (Checkpoint & { note: string })[] = [];
  for (const { size, note } of store.checkpoints.all()) {
    const opened = verifyNote(note, opts.key);
    if (!opened.ok) {
      problem(`checkpoint for size ${size}: ${opened.reason}`);
      continue;
    }
    try {
      const cp = parseCheckpoint(opened.text);
      if (cp.size !== size) problem(`checkpoint stored under size ${size} says size ${cp.size}`);
      if (cp.origin !== opts.origin) problem(`checkpoint for size ${size} has origin ${cp.origin}, expected ${opts.origin}`);
      out.push({ ...cp, note });
    } catch (e) {
      problem(`checkpoint for size ${size}: ${(e as Error).message}`);
    }
  }
  return out;
}

function checkCheckpoints(
  cps: (Checkpoint & { note: string })[],
  roots: Map<number, Hash>,
  store: IndexStore,
  problem: (p: string) => void,
): void {
  const reader = treeReader(store.tree);
  cps.forEach((cp, i) => {
    const root = roots.get(cp.size);
    if (root && !equalHash(root, cp.root)) problem(`checkpoint for size ${cp.size}: signed root differs from the entries' root`);
    const next = cps[i + 1];
    if (!next || cp.size === 0) return;
    // The stored tree's proof between consecutive checkpoints must verify (RFC 9162 §2.1.4.2).
    try {
      const why = consistencyProblem(cp.size, next.size, consistencyProof(reader, cp.size, next.size), cp.root, next.root);
      if (why) problem(`checkpoints ${cp.size} → ${next.size} are not consistent: ${why}`);
    } catch (e) {
      problem(`checkpoints ${cp.size} → ${next.size}: ${(e as Error).message}`);
    }
  });
}
