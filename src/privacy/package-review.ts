import { join } from 'node:path';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { TresorError } from '../core/errors.ts';
import { isId } from '../core/ids.ts';
import { mkdirDurable, fsyncDir } from '../core/durable.ts';
import { packageDir, packageZipPath, removePackageCopies } from '../core/copies.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Access } from '../access/index.ts';
import type { Media } from '../media/index.ts';
import type { Principal } from '../auth/roles.ts';
import { generateZipPassword, writeZip } from '../documents/index.ts';
import { PACKAGE_EXCLUSION_REASONS, type PackageExclusionReason, type PackageReview, type RequestRow } from '../store/index.ts';
import { getRequest } from './requests.ts';
import { sealForRequest } from './request-key.ts';
import { buildPackage, mustBePackageable, packageCalls, type PackageResult, type PackageSettings, type Withheld } from './package.ts';
import type { PrivacyDeps } from './deps.ts';

/**
 * The DPO's review of an access package before it goes out (issue 11 item 3, Art. 15(4)):
 *
 *   draft (the subject's calls) → exclusions (call id + reason code, note sealed) → release
 *
 * Release builds the package once from the calls not excluded into
 * `<dataDir>/reports/package-<id>/` (like the erasure certificates), and a ZIP of it beside
 * it, AES-256 with a generated password when asked: the password is handed back once and
 * never stored (the box cannot leak what it does not keep). Every step is a log entry with
 * ids, codes and counts only — never a name, number or the DPO's note.
 */

// the layout lives in core, so the purge finds the copies of the calls it erases
export { packageDir, packageZipPath };

export function isExclusionReason(s: unknown): s is PackageExclusionReason {
  return typeof s === 'string' && (PACKAGE_EXCLUSION_REASONS as readonly string[]).includes(s);
}

const review = (r: RequestRow): PackageReview => r.package ?? { exclusions: [], released: null };

export interface PackageDraft {
  request: string;
  calls: { id: string; start: number; durationMs: number; direction: string; excluded: { reason: PackageExclusionReason; by: string; at: number } | null }[];
  released: PackageReview['released'];
}

/** What the DPO reviews: the subject's calls (clear row fields only, nothing unsealed), with the exclusions so far. */
export function packageDraft(deps: Pick<PrivacyDeps, 'store'>, requestId: string): PackageDraft {
  const r = getRequest(deps, requestId);
  if (r.kind !== 'access') throw new TresorError('E_CONFLICT', `request ${r.id} is a ${r.kind} request, not an access request`, { detail: { reason: 'kind' } });
  const rv = review(r);
  const calls = packageCalls(deps.store, r).map((id) => {
    const row = deps.store.recordings.get(id);
    const x = rv.exclusions.find((e) => e.callId === id);
    return { id, start: row?.start ?? 0, durationMs: row?.durationMs ?? 0, direction: row?.direction ?? 'unknown', excluded: x ? { reason: x.reason, by: x.by, at: x.at } : null };
  });
  return { request: r.id, calls, released: rv.released };
}

function mustBeUnreleased(r: RequestRow): void {
  if (review(r).released) throw new TresorError('E_CONFLICT', `the package of request ${r.id} is released already`, { detail: { reason: 'released' } });
}

/**
 * Withholds one call from the package (Art. 15(4): the rights and freedoms of others, e.g.
 * another person's voice and data in the call). Logged `request.package.excluded` with the
 * call id and the reason code; the DPO's note is sealed with the request.
 */
export async function excludeFromPackage(
  deps: PrivacyDeps, by: string, requestId: string, o: { callId: string; reason: string; note?: string; now?: number },
): Promise<RequestRow> {
  const now = o.now ?? Date.now();
  if (!isExclusionReason(o.reason)) throw new TresorError('E_INVALID', `reason must be one of ${PACKAGE_EXCLUSION_REASONS.join(', ')} (Art. 15(4))`, { detail: { field: 'reason' } });
  const reason = o.reason;
  const note = typeof o.note === 'string' && o.note.trim() ? o.note.trim() : null;
  if (note && note.length > 2000) throw new TresorError('E_INVALID', 'note is longer than 2000 characters', { detail: { field: 'note' } });
  const callId = typeof o.callId === 'string' ? o.callId.trim().toUpperCase() : '';
  // validate before the first write (lmdb): everything is checked on the row read inside the transaction
  const id = getRequest(deps, requestId).id;
  return deps.store.tx(() => {
    const r = getRequest(deps, id);
    mustBePackageable(r);
    mustBeUnreleased(r);
    if (!packageCalls(deps.store, r).includes(callId)) throw new TresorError('E_INVALID', `${callId || '(no call id)'} is not one of this subject's calls`, { detail: { field: 'callId' } });
    const rv = review(r);
    if (rv.exclusions.some((e) => e.callId === callId)) throw new TresorError('E_CONFLICT', `call ${callId} is excluded already`, { detail: { reason: 'excluded' } });
    const sealed = note === null ? null : sealForRequest(deps, id, note);
    const row: RequestRow = { ...r, package: { ...rv, exclusions: [...rv.exclusions, { callId, reason, note: sealed, by, at: now }] } };
    deps.store.requests.put(row);
    deps.log.appendSync([{ actor: by, action: 'request.package.excluded', target: `request:${id}`, detail: { kind: r.kind, state: r.state, call: callId, reason } }]);
    return row;
  });
}

export interface ReleaseResult extends PackageResult {
  zip: string;
  zipBytes: number;
  withheld: number;
  /** the ZIP's password, only now: it is never stored */
  password?: string;
}

/** Every file of a package folder, relative, sorted (the ZIP's entries). */
function filesOf(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel)).sort().flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return statSync(join(dir, r)).isDirectory() ? filesOf(dir, r) : [r];
  });
}

/**
 * Builds the package from the calls not excluded, writes the ZIP (AES-256 with a fresh
 * password when `password`), and records the release (`request.package.released`). Once only.
 */
export async function releasePackage(
  deps: PrivacyDeps & { log: AuditLog; access: Access },
  p: Principal, requestId: string,
  o: { lang?: 'de' | 'en'; settings: PackageSettings; wav?: Media; password?: boolean; now?: number },
): Promise<ReleaseResult> {
  const r = getRequest(deps, requestId);
  mustBePackageable(r);
  mustBeUnreleased(r);
  const rv = review(r);
  const excluded = new Set(rv.exclusions.map((e) => e.callId));
  const all = packageCalls(deps.store, r);
  const calls = all.filter((id) => !excluded.has(id));
  const withheld: Withheld = PACKAGE_EXCLUSION_REASONS.map((reason) => ({ reason, n: rv.exclusions.filter((e) => e.reason === reason && all.includes(e.callId)).length }));
  const dir = packageDir(o.settings.dataDir, r.id);
  const zip = packageZipPath(o.settings.dataDir, r.id);
  // an earlier release that failed half-way left files, never a release: start again
  await rm(dir, { recursive: true, force: true });
  await rm(zip, { force: true });
  await mkdirDurable(join(o.settings.dataDir, 'reports'));
  const built = await buildPackage(deps, p, r.id, { out: dir, lang: o.lang, settings: o.settings, calls, withheld, wav: o.wav });
  const password = o.password ? generateZipPassword() : undefined;
  const z = await writeZip(zip, filesOf(dir).map((name) => ({ name: `package-${r.id}/${name}`, path: join(dir, name) })), { password });
  await fsyncDir(join(o.settings.dataDir, 'reports'));
  const nWithheld = withheld.reduce((n, w) => n + w.n, 0);
  const now = o.now ?? Date.now();
  await deps.store.tx(() => {
    const cur = getRequest(deps, r.id);
    mustBeUnreleased(cur);
    const released = { at: now, by: p.actor, calls: calls.length, withheld: nWithheld, wav: !!o.wav, encrypted: !!password, exportSeq: built.exportSeq, ids: calls };
    deps.store.requests.put({ ...cur, package: { ...review(cur), released } });
    deps.log.appendSync([{ actor: p.actor, action: 'request.package.released', target: `request:${r.id}`, detail: { kind: cur.kind, state: cur.state, calls: calls.length, withheld: nWithheld, wav: !!o.wav, encrypted: !!password, exportSeq: built.exportSeq } }]);
  });
  return { ...built, zip, zipBytes: z.bytes, withheld: nWithheld, ...(password ? { password } : {}) };
}

/**
 * The released ZIP for a download; the download is logged before a byte goes out
 * (`request.package.downloaded`, size and whether it is encrypted).
 */
export async function openPackageZip(deps: Pick<PrivacyDeps, 'store' | 'log'>, by: string, dataDir: string, requestId: string): Promise<{ path: string; bytes: number; encrypted: boolean; id: string }> {
  if (!isId(requestId.toUpperCase())) throw new TresorError('E_NOT_FOUND', `no request ${requestId}`);
  const r = getRequest(deps, requestId.toUpperCase());
  const rel = review(r).released;
  const path = packageZipPath(dataDir, r.id);
  if (!rel || !existsSync(path)) throw new TresorError('E_NOT_FOUND', `the package of request ${r.id} is not released yet`);
  const bytes = statSync(path).size;
  await deps.store.tx(() => {
    deps.log.appendSync([{ actor: by, action: 'request.package.downloaded', target: `request:${r.id}`, detail: { kind: r.kind, bytes, encrypted: rel.encrypted } }]);
  });
  // the ZIP is what goes out: the decrypted folder beside it has served its purpose (the
  // ZIP stays for a repeated download until the request is closed)
  await removePackageCopies(deps.log, by, dataDir, r.id, { reason: 'downloaded', zip: false });
  return { path, bytes, encrypted: rel.encrypted, id: r.id };
}

