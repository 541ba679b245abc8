import { once } from 'node:events';
import { createWriteStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TresorError } from '../core/index.ts';
import { parseVkey, verifyNote } from '../crypto/signing.ts';
import { parseCheckpoint } from './checkpoint.ts';
import { equalHash, sha256, toHex } from './hasher.ts';
import type { AuditLog } from './log.ts';
import { exportReadme } from './export-readme.ts';
import { verifierDigests, verifierFiles } from './verifier/build.ts';

/**
 * The auditor export (DESIGN §3): a plain folder an auditor takes home and checks
 * without trusting this box. Entries [start, size), the checkpoint signed for size,
 * the verifier key, the frontier left of start, the consistency proof from the
 * auditor's previous checkpoint, and copies of the verifiers (README.txt tells the auditor
 * to run their own saved copy instead: these came from the box being checked).
 */
export interface ExportOptions {
  /** the `checkpoint` file of an earlier export, as text */
  since?: string;
  /** first entry to include (default 0); earlier ones are covered by frontier.json */
  from?: number;
}

export interface ExportSummary {
  dir: string;
  start: number;
  size: number;
  root: string;
  files: string[];
}

const PAGE = 4096;

export async function exportAudit(log: AuditLog, outDir: string, opts: ExportOptions = {}): Promise<ExportSummary> {
  prepareDir(outDir);
  // Sign first, then export exactly what was signed, even if entries arrive meanwhile.
  const cp = await log.checkpointNow();
  const start = opts.from ?? 0;
  if (!Number.isSafeInteger(start) || start < 0 || start > cp.size) {
    throw new TresorError('E_INVALID', `--from must be between 0 and the checkpoint size ${cp.size}, got ${start}`);
  }
  const files: string[] = [];
  const write = (name: string, data: string) => {
    writeFileSync(join(outDir, name), data, { mode: 0o644 });
    files.push(name);
  };

  const previous = opts.since === undefined ? null : checkSince(log, opts.since, cp.size);

  await writeEntries(log, join(outDir, 'entries.jsonl'), start, cp.size);
  files.push('entries.jsonl');
  write('checkpoint', cp.note);
  write('log.vkey', `${log.vkey}\n`);
  if (start > 0) {
    write('frontier.json', `${JSON.stringify({ start, hashes: log.frontier(start).map(toHex) })}\n`);
  }
  if (previous) {
    write('previous-checkpoint', opts.since!);
    const hashes = previous.size > 0 && previous.size < cp.size ? log.consistencyProof(previous.size, cp.size) : [];
    write('consistency.json', `${JSON.stringify({ old_size: previous.size, new_size: cp.size, hashes: hashes.map(toHex) })}\n`);
  }
  // A convenience copy: the auditor's trust anchor is their own saved copy (README.txt §1).
  const verifier = verifierFiles();
  write('verify.mjs', verifier['verify.mjs']);
  write('verify.html', verifier['verify.html']);
  write('README.txt', exportReadme({
    vkey: log.vkey, fingerprint: vkeyFingerprint(log.vkey), start, size: cp.size, since: previous?.size ?? null, verifier: verifierDigests(),
  }));
  return { dir: outDir, start, size: cp.size, root: toHex(cp.root), files };
}

/** SHA-256 of the vkey line, first 128 bits in groups: short enough to read over the phone. */
export function vkeyFingerprint(vkey: string): string {
  return toHex(sha256(vkey.trim())).slice(0, 32).match(/..../g)!.join(' ');
}

function prepareDir(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  // An old export's leftovers (say frontier.json) would change what the verifier checks.
  if (readdirSync(outDir).length > 0) throw new TresorError('E_INVALID', `export folder ${outDir} is not empty`);
}

// The auditor's earlier checkpoint must be ours and a prefix of what we sign now; if
// not, refuse loudly: it means this box's log forked or rolled back since then.
function checkSince(log: AuditLog, since: string, size: number) {
  const opened = verifyNote(since, parseVkey(log.vkey));
  if (!opened.ok) throw new TresorError('E_INVALID', `--since: not a checkpoint of this log (${opened.reason})`);
  const prev = parseCheckpoint(opened.text);
  if (prev.origin !== log.origin) throw new TresorError('E_INVALID', `--since: checkpoint is for origin ${prev.origin}, not ${log.origin}`);
  if (prev.size > size) {
    throw new TresorError('E_LOG_INCONSISTENT', `--since: that checkpoint has ${prev.size} entries but the log now has ${size}: the log was rolled back`);
  }
  if (!equalHash(log.rootHash(prev.size), prev.root)) {
    throw new TresorError('E_LOG_INCONSISTENT', `--since: the log's root at size ${prev.size} differs from that checkpoint: the log forked`);
  }
  return prev;
}

async function writeEntries(log: AuditLog, path: string, start: number, end: number): Promise<void> {
  const out = createWriteStream(path, { mode: 0o644 });
  for (let p = start; p < end; p += PAGE) {
    const chunk = log.lines(p, Math.min(end, p + PAGE)).join('\n') + '\n';
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/**
 * Publishes the verifier on its own (`tresor audit verifier --out DIR`, the console's
 * download): verify.mjs and verify.html of this version, for the auditor to save once and
 * reuse on every export. Returns the files written with their SHA-256.
 */
export function writeVerifier(outDir: string): { dir: string; files: { name: string; sha256: string }[] } {
  mkdirSync(outDir, { recursive: true });
  const files = verifierFiles();
  const digests = verifierDigests();
  const written = (['verify.mjs', 'verify.html'] as const).map((name) => {
    writeFileSync(join(outDir, name), files[name], { mode: 0o644 });
    return { name, sha256: digests[name] };
  });
  return { dir: outDir, files: written };
}
