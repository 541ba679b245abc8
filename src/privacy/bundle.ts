import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { copyFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { TresorError } from '../core/errors.ts';
import { createExportFolder, mkdirDurable, removePlaintextCopies, writeFileDurable } from '../core/durable.ts';
import type { RecordingView } from '../core/types.ts';
import { hashLeaf, inlineVerifierCore, toHex, verifierFiles, type AuditLog } from '../audit/index.ts';
import type { Access, SearchQuery } from '../access/index.ts';
import { decodeCursor } from '../access/index.ts';
import type { Principal } from '../auth/roles.ts';
import { APPROVAL_TTL_MS, requestApproval, type ApprovalKinds } from '../approvals/index.ts';
import { sealToRecipient } from '../crypto/index.ts';
import { generateZipPassword, renderPdf, writeZip, type PdfBlock } from '../documents/index.ts';
import type { ApprovalRow, IndexStore } from '../store/index.ts';

/**
 * Evidence bundles (issue 13 item 5): a case's calls for an authority, a court or a
 * customer dispute, as a folder (or an AES-256 ZIP) the recipient can check without
 * trusting this box. Each call's audio as stored and its metadata (JSON + CSV); the log
 * slice about those calls; inclusion proofs (RFC 9162 §2.1.3) of every entry of the slice
 * — among them each call's `recording.ingested` entry, which names the stored size — and of
 * the `bundle.exported` entry, which names the manifest's SHA-256 (ids, counts and hashes
 * only, DESIGN §3b); the signed checkpoint with its witness cosignature lines; manifest.json
 * with the SHA-256 of every file; a cover sheet (HTML + PDF); and a dependency-free
 * verifier (verify-bundle.mjs) plus the log verifiers for a later full audit export.
 *
 * Exporting is a logged access: every call goes through the access door (`recording.exported`
 * and `recording.viewed` are appended before anything is decrypted). A bundle of more than
 * `audit.bundleApprovalOver` calls needs four-eyes approval (kind `bundle.export`).
 */

/** verify-bundle.mjs: verify-bundle.js with the log verifier's core inlined (witness policy, cosignatures). */
export function bundleVerifier(): string {
  return inlineVerifierCore(readFileSync(new URL('./verify-bundle.js', import.meta.url), 'utf8'), 'verify-bundle.js');
}

export const BUNDLE_KIND = 'bundle.export';
export const BUNDLE_EXPORTED = 'bundle.exported';
/** More calls than this in one bundle need a second person's approval (audit.bundleApprovalOver). */
export const DEFAULT_BUNDLE_APPROVAL_OVER = 20;
const MAX_CASE_REF = 200;
const MAX_BUNDLE_CALLS = 10_000;

export type BundleSelection = { ids: string[] } | { holdId: string } | { query: SearchQuery };

export interface BundleOptions {
  out: string;
  caseRef: string;
  /** who it is for (cover sheet only, never logged) */
  recipient?: string;
  /** true: generate one; a string: use it. The bundle is then one AES-256 ZIP */
  password?: string | true;
  /** X25519 public key of the recipient: the ZIP is then sealed to it (evidence-bundle.tresorbox + open-bundle.mjs) */
  recipientKey?: Uint8Array;
  lang?: 'de' | 'en';
  /** audit.bundleApprovalOver */
  approvalOver?: number;
  /** an approved and carried-out `bundle.export` request for exactly these calls */
  approval?: string;
  /** why, for the approver (asked for when over the limit) */
  approvalReason?: string;
  onProgress?: (done: number, total: number, id: string) => void;
}

export interface BundleResult {
  dir: string;
  calls: string[];
  files: { path: string; sha256: string; bytes: number }[];
  exportSeq: number;
  checkpointSize: number;
  zip?: string;
  /** the sealed ZIP (recipientKey) */
  sealed?: string;
  /** generated password: shown once, never stored */
  password?: string;
}

export interface BundleDeps {
  store: IndexStore;
  log: AuditLog;
  access: Access;
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  // CSV injection: a cell starting with = + - @ is a formula to a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};
const csv = (header: string[], rows: unknown[][]) => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
const EXT: Record<string, string> = { 'audio/ogg': 'ogg', 'audio/flac': 'flac', 'audio/wav': 'wav', 'audio/mpeg': 'mp3' };

/** The calls of a selection, sorted; a hold gives its ids and its saved search's matches. */
export async function bundleCalls(deps: BundleDeps, p: Principal, sel: BundleSelection): Promise<string[]> {
  const ids = new Set<string>();
  if ('ids' in sel) {
    for (const id of sel.ids) {
      if (!deps.store.recordings.has(id)) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
      ids.add(id);
    }
  } else if ('holdId' in sel) {
    const h = deps.store.holds.get(sel.holdId);
    if (!h) throw new TresorError('E_NOT_FOUND', `no legal hold ${sel.holdId}`);
    for (const id of h.ids) if (deps.store.recordings.has(id)) ids.add(id);
    if (h.search) {
      let before: [number, string] | undefined;
      for (;;) {
        const page = deps.store.recordings.search({ ...h.search, limit: 1000, ...(before ? { before } : {}) });
        for (const r of page.rows) ids.add(r.id);
        if (!page.next || ids.size > MAX_BUNDLE_CALLS) break;
        before = page.next;
      }
    }
  } else {
    // through the door: a search by number or agent is itself logged (recording.searched)
    let before: string | undefined;
    for (;;) {
      const page = await deps.access.search(p, { ...sel.query, limit: 1000, ...(before ? { before: decodeCursor(before) } : {}) });
      for (const r of page.items) ids.add(r.id);
      if (!page.next || ids.size > MAX_BUNDLE_CALLS) break;
      before = page.next;
    }
  }
  if (ids.size > MAX_BUNDLE_CALLS) throw new TresorError('E_TOO_LARGE', `a bundle holds at most ${MAX_BUNDLE_CALLS} calls; narrow the selection`);
  return [...ids].sort();
}

/** A short, non-personal name for a set of calls: the approval's target and its check. */
export function callsDigest(ids: readonly string[]): string {
  return sha256([...ids].sort().join('\n'));
}

/**
 * The first pair of eyes for a large bundle: asks for approval of exactly these calls for
 * this case. The log gets the count and the digest, never the case reference's words.
 */
export async function requestBundleApproval(deps: Pick<BundleDeps, 'store' | 'log'>, p: Principal, ids: string[], caseRef: string, reason?: string): Promise<ApprovalRow> {
  const digest = callsDigest(ids);
  return requestApproval(deps.store, deps.log, {
    kind: BUNDLE_KIND, target: `bundle:${digest.slice(0, 16)}`, by: p.actor, person: p.name,
    reason: reason?.trim() || `evidence bundle of ${ids.length} calls for case ${caseRef}`,
    payload: { ids: [...ids].sort(), caseRef, digest }, logDetail: { calls: ids.length },
  });
}

/** Checks and uses up an approval for these calls (one bundle per approval, by its requester, within the TTL). */
async function useApproval(store: IndexStore, p: Principal, id: string, ids: string[], now = Date.now()): Promise<void> {
  const digest = callsDigest(ids);
  const why = await store.tx((): string | null => {
    const row = store.approvals.get(id);
    if (!row || row.kind !== BUNDLE_KIND) return `${id} is not a ${BUNDLE_KIND} approval`;
    if (row.state !== 'done') return `approval ${id} is ${row.state}, not approved yet (tresor approve ${id} by a second person)`;
    if (row.payload.digest !== digest) return `approval ${id} was given for other calls`;
    if (row.requestedBy !== p.actor) return `approval ${id} was asked for by ${row.requestedBy}: only they may use it`;
    if (row.result?.usedAt !== undefined) return `approval ${id} was used for a bundle already`;
    if ((row.executedAt ?? 0) + APPROVAL_TTL_MS < now) return `approval ${id} is older than ${APPROVAL_TTL_MS / 86_400_000} days; ask again`;
    store.approvals.put({ ...row, result: { ...row.result, usedAt: now } });
    return null;
  });
  if (why) throw new TresorError('E_NEEDS_APPROVAL', why, { detail: { reason: 'approval', approval: id } });
}

/** The `bundle.export` kind for the approvals registry (src/site/approvals.ts). Approving releases; the requester builds. */
export function bundleKinds(): ApprovalKinds {
  return {
    [BUNDLE_KIND]: {
      describe: (row) => ({
        summary: `releases an evidence bundle of ${(row.payload.ids as string[]).length} call(s) for case ${String(row.payload.caseRef)}; the requester then builds it with --approval ${row.id}`,
        facts: [{ label: 'calls', value: String((row.payload.ids as string[]).length) }, { label: 'case', value: String(row.payload.caseRef) }],
      }),
      execute: async (row) => ({
        outcome: 'done', counts: { calls: (row.payload.ids as string[]).length },
        summary: `bundle of ${(row.payload.ids as string[]).length} call(s) released; ${row.requestedBy} builds it with: tresor audit bundle … --approval ${row.id}`,
      }),
    },
  };
}

const TEXT = {
  en: {
    title: 'Evidence bundle of recorded calls',
    intro: (n: number, c: string) => `This bundle holds ${n} recorded call(s) for case ${c}, exported from the call-recording archive with proof that they and their log entries are as the archive recorded them.`,
    recipient: 'For', exported: 'Exported', by: 'Exported by', calls: 'Calls enclosed', call: 'Call', start: 'Start (UTC)', duration: 'Duration (s)', direction: 'Direction', sha: 'SHA-256 of the audio file',
    files: 'Contents: calls/ (audio as stored, metadata per call), calls.json and calls.csv (metadata), log-slice.jsonl (every log entry about these calls), manifest.json (SHA-256 of every file), checkpoint (the signed log checkpoint with witness cosignatures), inclusion.json (inclusion proofs), verify-bundle.mjs (the checker).',
    check: 'How to check: run node verify-bundle.mjs in this folder (Node.js 18 or newer, no other software). It checks every file against manifest.json, the checkpoint signature, each inclusion proof (RFC 9162), that the export entry names this manifest, and that each call has a proven ingest entry matching its audio; with --policy YOUR_WITNESS_POLICY also the witness cosignatures of the checkpoint against your quorum. Compare the key fingerprint with the one the archive\'s operator gives you out of band, and the checkpoint with one held by a witness or the data protection officer.',
  },
  de: {
    title: 'Beweismittelpaket aufgezeichneter Gespräche',
    intro: (n: number, c: string) => `Dieses Paket enthält ${n} Gesprächsaufzeichnung(en) zum Vorgang ${c}, exportiert aus dem Aufzeichnungsarchiv mit dem Nachweis, dass sie und ihre Protokolleinträge so sind, wie das Archiv sie aufgezeichnet hat.`,
    recipient: 'Für', exported: 'Exportiert', by: 'Exportiert von', calls: 'Beigefügte Gespräche', call: 'Gespräch', start: 'Beginn (UTC)', duration: 'Dauer (s)', direction: 'Richtung', sha: 'SHA-256 der Audiodatei',
    files: 'Inhalt: calls/ (Ton wie gespeichert, Angaben je Gespräch), calls.json und calls.csv (Angaben), log-slice.jsonl (alle Protokolleinträge zu diesen Gesprächen), manifest.json (SHA-256 jeder Datei), checkpoint (der signierte Prüfpunkt mit Zeugen-Gegensignaturen), inclusion.json (Einschlussnachweise), verify-bundle.mjs (das Prüfprogramm).',
    check: 'So prüfen Sie: node verify-bundle.mjs in diesem Ordner ausführen (Node.js 18 oder neuer, sonst keine Software). Es prüft jede Datei gegen manifest.json, die Signatur des Prüfpunkts, jeden Einschlussnachweis (RFC 9162), dass der Exporteintrag dieses Manifest nennt und dass jedes Gespräch einen nachgewiesenen Eingangseintrag hat, der zu seiner Audiodatei passt; mit --policy IHRE_ZEUGEN_RICHTLINIE auch die Gegensignaturen der Zeugen am Prüfpunkt gegen Ihr Quorum. Vergleichen Sie den Schlüssel-Fingerabdruck mit dem, den Ihnen der Betreiber auf anderem Weg nennt, und den Prüfpunkt mit dem eines Zeugen oder des Datenschutzbeauftragten.',
  },
} as const;

function bundleReadme(vkey: string): string {
  const fp = sha256(vkey.trim()).slice(0, 32).match(/..../g)!.join(' ');
  return `Tresor evidence bundle
======================

Check it:   node verify-bundle.mjs          (in this folder; Node.js 18+, nothing else)
            node verify-bundle.mjs DIR --vkey YOUR_COPY_OF_THE_LOG_VKEY
            node verify-bundle.mjs DIR --policy YOUR_WITNESS_POLICY   (lines "witness VKEY", "quorum N":
                                    the checkpoint must carry valid cosignatures of that many witnesses)

Log key:    ${vkey.trim()}
Fingerprint (compare with the one the operator tells you out of band): ${fp}

log-verifier/ holds the verifiers of a full audit export (tresor audit export): with one
that covers this bundle's checkpoint, anyone can check that the log only grew since
(RFC 9162 consistency) and, with --policy, that witnesses cosigned it.
`;
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? listFiles(p, base) : [relative(base, p).split('\\').join('/')];
  }).sort();
}

/**
 * Builds the bundle into `o.out` (created; must be empty or absent). With a password the
 * folder is built in a staging folder inside `out`, zipped to `out/evidence-bundle.zip`
 * (AES-256) and the staging folder removed.
 */
export async function buildBundle(deps: BundleDeps, p: Principal, sel: BundleSelection, o: BundleOptions): Promise<BundleResult> {
  const lang = o.lang ?? 'en';
  const t = TEXT[lang];
  const caseRef = o.caseRef.trim();
  if (!caseRef || caseRef.length > MAX_CASE_REF || /[\u0000-\u001f\u007f]/.test(caseRef)) {
    throw new TresorError('E_INVALID', `give a case reference (1–${MAX_CASE_REF} printable characters)`);
  }
  const ids = await bundleCalls(deps, p, sel);
  if (ids.length === 0) throw new TresorError('E_INVALID', 'the selection holds no calls: nothing to bundle');
  const over = o.approvalOver ?? DEFAULT_BUNDLE_APPROVAL_OVER;
  if (ids.length > over) {
    if (!o.approval) {
      const a = await requestBundleApproval(deps, p, ids, caseRef, o.approvalReason);
      throw new TresorError('E_NEEDS_APPROVAL',
        `a bundle of ${ids.length} calls is more than audit.bundleApprovalOver (${over}): four-eyes approval asked as ${a.id}; a second person approves it (tresor approve ${a.id}), then run this again with --approval ${a.id}`,
        { detail: { reason: 'needs-approval', approval: a.id, calls: ids.length, over } });
    }
    await useApproval(deps.store, p, o.approval, ids);
  }

  const password = o.password === true ? generateZipPassword() : o.password;
  await mkdirDurable(o.out);
  if (readdirSync(o.out).length) throw new TresorError('E_EXISTS', `${o.out} is not empty: give a new folder for the bundle`);
  const packed = !!(password || o.recipientKey);
  const protection = [password ? 'password' : null, o.recipientKey ? 'recipient-key' : null].filter(Boolean).join('+') || 'none';
  const dir = packed ? join(o.out, `.staging-${randomBytes(6).toString('hex')}`) : o.out;
  // one durability step for the whole folder (src/core/durable.ts createExportFolder), not
  // temp file + fsync + rename + directory fsync for each of its files
  const folder = await createExportFolder(dir);
  await folder.mkdir('calls');
  await folder.mkdir('log-verifier');
  const files: BundleResult['files'] = [];
  const put = async (path: string, data: Uint8Array | string, listed = true) => {
    const f = await folder.write(path, data);
    if (listed) files.push({ path, ...f });
    return f;
  };

  try {
    const views: RecordingView[] = [];
    const calls: { id: string; audio: string; sha256: string }[] = [];
    let done = 0;
    // the door logs before it decrypts: every call's recording.exported and recording.viewed in one append
    for await (const { id, audio, contentType, view } of deps.access.exportCalls(p, ids, { for: 'evidence-bundle' })) {
      views.push(view);
      const path = `calls/${id}.${EXT[contentType] ?? 'bin'}`;
      // the audio as stored, hashed once as it is written
      const f = await put(path, audio);
      await put(`calls/${id}.json`, JSON.stringify(view, null, 2) + '\n');
      calls.push({ id, audio: path, sha256: f.sha256 });
      o.onProgress?.(++done, ids.length, id);
    }
    await put('calls.json', JSON.stringify(views, null, 2) + '\n');
    await put('calls.csv', csv(
      ['id', 'start', 'durationSeconds', 'direction', 'from', 'to', 'agent', 'queue', 'consent', 'storedFormat', 'sourceSha256'],
      views.map((v) => [v.id, v.start, Math.round(v.durationMs / 1000), v.direction, v.from, v.to, v.agent, v.queue, v.consent?.state ?? '', v.storedFormat, v.sourceSha256]),
    ));
    // the slice: every entry naming one of the calls, in log order (these accesses included)
    const seqs = new Set<number>();
    for (const id of ids) for (const e of deps.log.about('target', `recording:${id}`, 100_000)) seqs.add(e.seq);
    const sliceSeqs = [...seqs].sort((a, b) => a - b);
    const sliceLines = sliceSeqs.map((s) => deps.log.lines(s, s + 1)[0]!);
    await put('log-slice.jsonl', sliceLines.map((l) => `${l}\n`).join(''));

    const now = new Date();
    const rows = views.map((v, i) => [v.id, v.start.replace(/\.\d+Z$/, 'Z'), String(Math.round(v.durationMs / 1000)), v.direction, calls[i]!.sha256]);
    const facts = [
      ...(o.recipient?.trim() ? [`${t.recipient}: ${o.recipient.trim()}`] : []),
      `${t.exported}: ${now.toISOString().replace(/\.\d+Z$/, 'Z')}`, `${t.by}: ${p.actor}`,
    ];
    const paragraphs = [t.intro(ids.length, caseRef), ...facts, t.files, t.check];
    await put('cover-sheet.html', `<!doctype html><html lang="${lang}"><meta charset="utf-8"><title>${esc(t.title)}</title><body>
<h1>${esc(t.title)}</h1>
${paragraphs.map((x) => `<p>${esc(x)}</p>`).join('\n')}
<h2>${esc(t.calls)}</h2><table><tr>${[t.call, t.start, t.duration, t.direction, t.sha].map((h) => `<th>${esc(h)}</th>`).join('')}</tr>
${rows.map((c) => `<tr>${c.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('\n')}</table></body></html>\n`);
    const blocks: PdfBlock[] = [...paragraphs.map((text): PdfBlock => ({ kind: 'paragraph', text })), { kind: 'heading', text: t.calls },
      { kind: 'table', header: [t.call, t.start, t.duration, t.direction], rows: rows.map((r) => r.slice(0, 4)) }];
    await put('cover-sheet.pdf', await renderPdf({ title: t.title, lang, createdAt: now, blocks }));
    await put('verify-bundle.mjs', bundleVerifier());
    await put('README.txt', bundleReadme(deps.log.vkey));
    for (const [name, text] of Object.entries(verifierFiles())) await put(`log-verifier/${name}`, text);

    const manifest = JSON.stringify({ case: caseRef, calls: calls.map(({ id, audio }) => ({ id, audio })), files }, null, 2) + '\n';
    await put('manifest.json', manifest, false);
    // every file on disk before the log says the bundle was made
    await folder.done();
    // the proof: an entry naming the manifest's hash (ids, counts, hashes only), then a checkpoint covering it
    const manifestSha256 = sha256(manifest);
    const [entry] = await deps.log.append([{
      actor: p.actor, action: BUNDLE_EXPORTED, target: `bundle:${manifestSha256.slice(0, 16)}`,
      detail: { caseRef, calls: ids.length, manifestSha256, protection, ...(o.approval && ids.length > over ? { approval: o.approval } : {}) },
    }]);
    const exportSeq = entry!.seq;
    const cp = await deps.log.checkpointNow();
    // the stored note carries the witnesses' cosignature lines gathered since it was signed
    await put('checkpoint', deps.store.checkpoints.get(cp.size) ?? cp.note, false);
    const proofs = [...sliceSeqs, exportSeq].map((seq) => {
      const line = deps.log.lines(seq, seq + 1)[0]!;
      return { seq, entry: line, leafHash: toHex(hashLeaf(new TextEncoder().encode(line))), proof: deps.log.inclusionProof(seq, cp.size).map(toHex) };
    });
    await put('inclusion.json', JSON.stringify({ origin: deps.log.origin, vkey: deps.log.vkey, treeSize: cp.size, exportSeq, proofs }, null, 2) + '\n', false);
    await folder.done();

    const result: BundleResult = { dir: o.out, calls: ids, files, exportSeq, checkpointSize: cp.size };
    if (packed) {
      const zip = o.recipientKey ? `${dir}.zip` : join(o.out, 'evidence-bundle.zip');
      await writeZip(zip, listFiles(dir).map((name) => ({ name, path: join(dir, name) })), password ? { password } : {});
      await rm(dir, { recursive: true, force: true });
      if (o.recipientKey) {
        // the recipient has no Tresor and no npm: the opener and TweetNaCl (public domain) travel along
        result.sealed = join(o.out, 'evidence-bundle.tresorbox');
        await sealToRecipient(zip, result.sealed, o.recipientKey);
        await rm(zip, { force: true });
        await writeFileDurable(join(o.out, 'open-bundle.mjs'), readFileSync(new URL('../crypto/open-bundle.js', import.meta.url)), 0o644);
        await copyFile(createRequire(import.meta.url).resolve('tweetnacl/nacl-fast.js'), join(o.out, 'nacl-fast.cjs'));
      } else result.zip = zip;
      if (o.password === true) result.password = password;
    }
    return result;
  } catch (e) {
    // a protected bundle never leaves its plaintext staging folder behind
    if (packed) {
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.zip`, { force: true });
    } else {
      // nor an unprotected one half a bundle of decrypted calls (the folder was empty or new)
      await removePlaintextCopies(dir).catch(() => undefined);
    }
    throw e;
  }
}
