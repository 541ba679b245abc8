import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { AuditLog, WitnessSetting } from '../audit/index.ts';
import { checkCosignature, exportAudit, handOutCheckpoint, handOutPdf, handOutSvg, latestCosignedSize, parseCosignerVkey, splitNote, vkeyFingerprint, writeVerifier } from '../audit/index.ts';
import { addCheckpointRequest } from '../audit/witness/witness.ts';
import { TresorError, writeFileDurable } from '../core/index.ts';
import type { IndexStore } from '../store/index.ts';
import { isTresorError } from '../core/index.ts';
import { errorLine, exitStatusOf } from './exit.ts';
import { existsSync, readdirSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { createAccess } from '../access/index.ts';
import { cliPrincipal } from '../auth/roles.ts';
import { buildBundle, type BundleSelection } from '../privacy/index.ts';
import { parseRecipientKey } from '../crypto/index.ts';
import { withArchive } from './with-site.ts';
import { parse, type Io } from './args.ts';

/**
 * `tresor audit verify | export --out DIR [--since FILE] [--from N] | checkpoint | verifier --out DIR`.
 * Exit codes: 0 ok, 1 verification failed or refused, 2 usage error.
 */
export interface AuditCliContext {
  log: AuditLog;
  out(s: string): void;
  err(s: string): void;
  /** log.witnesses: the keys whose cosignatures `cosign-import` accepts */
  witnesses?: WitnessSetting[];
  /** for `checkpoint`, which logs the hand-out and remembers it */
  store?: IndexStore;
  actor?: string;
}

const USAGE = 'usage: tresor audit verify | audit export --out DIR [--since CHECKPOINT_FILE] [--from N] | audit checkpoint [--pdf FILE] [--svg FILE] [--lang de|en] | audit verifier --out DIR | audit cosign-request --out FILE [--old N] | audit cosign-import FILE';

export async function auditCommand(args: string[], ctx: AuditCliContext): Promise<number> {
  const [sub, ...rest] = args;
  try {
    if (sub === 'verify' && rest.length === 0) return await verify(ctx);
    if (sub === 'export') return await exportCmd(rest, ctx);
    if (sub === 'checkpoint') return await checkpoint(rest, ctx);
    if (sub === 'cosign-request') return await cosignRequest(rest, ctx);
    if (sub === 'cosign-import' && rest.length === 1) return await cosignImport(rest[0]!, ctx);
    ctx.err(USAGE);
    return 2;
  } catch (e) {
    if (isTresorError(e)) {
      ctx.err(errorLine(e, `audit ${sub}`));
      return exitStatusOf(e);
    }
    throw e;
  }
}

async function verify(ctx: AuditCliContext): Promise<number> {
  const started = Date.now();
  let lastReport = 0;
  const report = await ctx.log.verifyAll((done, total) => {
    // Progress on stderr, at most twice a second, only when it takes a while.
    const now = Date.now();
    if (now - started > 1000 && now - lastReport > 500) {
      lastReport = now;
      ctx.err(`verifying… ${done}/${total} entries`);
    }
  });
  for (const p of report.problems) ctx.out(`FAIL  ${p}`);
  if (report.ok) {
    ctx.out(`ok: ${report.size} entries, chain, tree and ${report.checkpoints} signed checkpoints verified`);
    return 0;
  }
  ctx.out(`NOT VERIFIED: ${report.problems.length} problem(s) in ${report.size} entries`);
  return 1;
}

async function exportCmd(args: string[], ctx: AuditCliContext): Promise<number> {
  const opts: { out?: string; since?: string; from?: number } = {};
  for (let i = 0; i < args.length; i += 2) {
    const flag = args[i];
    const value = args[i + 1];
    if (value === undefined) return usage(ctx, `${flag} needs a value`);
    if (flag === '--out') opts.out = value;
    else if (flag === '--since') opts.since = readFileSync(value, 'utf8');
    else if (flag === '--from') {
      if (!/^(0|[1-9][0-9]*)$/.test(value)) return usage(ctx, `--from must be a number, got ${value}`);
      opts.from = Number(value);
    } else return usage(ctx, `unknown option ${flag}`);
  }
  if (!opts.out) return usage(ctx, '--out DIR is required');
  const s = await exportAudit(ctx.log, opts.out, { since: opts.since, from: opts.from });
  ctx.out(`exported entries ${s.start}…${s.size - 1} with a checkpoint for size ${s.size} to ${s.dir}`);
  ctx.out(`root ${s.root}`);
  ctx.out(`key fingerprint (tell the auditor out of band): ${vkeyFingerprint(ctx.log.vkey)}`);
  ctx.out(`the auditor runs their own saved verifier: node THEIR/verify.mjs ${s.dir}${s.start > 0 ? ' --checkpoint THEIR_CHECKPOINT' : ''}`);
  if (s.start > 0) ctx.out(`this export starts at entry ${s.start}: without a checkpoint of the auditor's that covers entries 0…${s.start - 1}, it verifies only as PARTIAL`);
  return 0;
}

/**
 * `audit checkpoint [--pdf FILE] [--svg FILE] [--lang de|en]`: the latest checkpoint with
 * its cosignatures, to hand to someone who keeps it outside the box (issue 13). Printed as
 * text; with --pdf a one-page document with a QR code, with --svg the QR code and text.
 */
async function checkpoint(args: string[], ctx: AuditCliContext): Promise<number> {
  const opts: { pdf?: string; svg?: string; lang: 'de' | 'en' } = { lang: 'en' };
  for (let i = 0; i < args.length; i += 2) {
    const [flag, value] = [args[i], args[i + 1]];
    if (value === undefined || value.startsWith('--')) throw new TresorError('E_USAGE', `${flag} needs a value\n${USAGE}`);
    if (flag === '--pdf') opts.pdf = value;
    else if (flag === '--svg') opts.svg = value;
    else if (flag === '--lang' && (value === 'de' || value === 'en')) opts.lang = value;
    else throw new TresorError('E_USAGE', `unknown option ${flag} ${value}\n${USAGE}`);
  }
  if (!ctx.store || !ctx.actor) {
    const cp = await ctx.log.checkpointNow();
    ctx.out(cp.note.replace(/\n$/, ''));
    return 0;
  }
  const format = opts.pdf ? 'pdf' : opts.svg ? 'svg' : 'text';
  const h = await handOutCheckpoint({ log: ctx.log, store: ctx.store }, ctx.actor, format);
  if (opts.pdf) await writeFileDurable(opts.pdf, await handOutPdf(h, opts.lang), 0o644);
  if (opts.svg) await writeFileDurable(opts.svg, handOutSvg(h), 0o644);
  ctx.out(h.note.replace(/\n$/, ''));
  for (const f of [opts.pdf, opts.svg]) if (f) ctx.err(`wrote ${f} (checkpoint ${h.size}, ${h.signers.length - 1} cosignature(s))`);
  return 0;
}

/**
 * `audit cosign-request --out FILE [--old N]`: the tlog-witness add-checkpoint body for the
 * latest checkpoint, for a witness reached by carrying files (`tresor witness sign`).
 * N is the size that witness cosigned last (default: the newest one the box holds a
 * cosignature of, by any configured witness; 0 if none): the proof runs from there.
 */
async function cosignRequest(args: string[], ctx: AuditCliContext): Promise<number> {
  let out: string | undefined;
  let old: number | undefined;
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1];
    if (value === undefined) return usage(ctx, `${args[i]} needs a value`, 'cosign-request');
    if (args[i] === '--out') out = value;
    else if (args[i] === '--old' && /^(0|[1-9][0-9]*)$/.test(value)) old = Number(value);
    else return usage(ctx, `unknown option ${args[i]}`, 'cosign-request');
  }
  if (!out) return usage(ctx, '--out FILE is required', 'cosign-request');
  const cp = await ctx.log.checkpointNow();
  if (old === undefined) {
    old = latestCosignedSize(ctx.log, (ctx.witnesses ?? []).map((w) => parseCosignerVkey(w.vkey))) ?? 0;
  }
  if (old > cp.size) throw new TresorError('E_INVALID', `--old ${old} is beyond the latest checkpoint ${cp.size}`);
  const proof = old > 0 && old < cp.size ? ctx.log.consistencyProof(old, cp.size) : [];
  writeFileSync(out, addCheckpointRequest(old, proof, cp.note), { mode: 0o644 });
  ctx.out(`wrote the request for checkpoint ${cp.size} (from old size ${old}) to ${out}: on the witness, tresor witness sign ${out} --out FILE`);
  return 0;
}

/**
 * `audit cosign-import FILE`: a cosigned checkpoint from `tresor witness sign`. Only lines
 * that verify against a configured witness key (log.witnesses) and a checkpoint this box
 * signed are kept; anything else is refused, not stored.
 */
async function cosignImport(file: string, ctx: AuditCliContext): Promise<number> {
  const note = readFileSync(file, 'utf8');
  const parts = splitNote(note);
  if (!parts) throw new TresorError('E_INVALID', `${file} is not a signed note`);
  const size = Number(parts.body.split('\n')[1]);
  // a cosignature is asked for the latest checkpoint; look among the recent ones only
  const ours = ctx.log.recentCheckpoints(4096).find((c) => c.size === size);
  if (!ours || splitNote(ours.note)!.body !== parts.body) {
    throw new TresorError('E_INVALID', `${file} is not a checkpoint this log signed (size ${size})`);
  }
  const keys = (ctx.witnesses ?? []).map((w) => parseCosignerVkey(w.vkey));
  if (keys.length === 0) throw new TresorError('E_CONFIG', 'no witnesses configured (log.witnesses): there is no key to check the cosignature with');
  const good: string[] = [];
  for (const line of parts.sigLines) {
    for (const k of keys) {
      const r = checkCosignature(line, parts.body, k);
      if (r && !r.ok) throw new TresorError('E_INTEGRITY', `${file}: ${r.reason}`);
      if (r?.ok) good.push(line);
    }
  }
  if (good.length === 0) throw new TresorError('E_INVALID', `${file} carries no cosignature by a configured witness`);
  const added = await ctx.log.addCosignatures(size, good);
  ctx.out(`checkpoint ${size}: ${good.length} cosignature(s) verified, ${added} new stored`);
  return 0;
}

/**
 * `audit verifier --out DIR`: the verifier on its own, for the auditor to save once and
 * reuse (an export's copy comes from the box). Needs no archive: it is the auditor's tool.
 */
export function verifierCommand(args: string[], ctx: Pick<AuditCliContext, 'out' | 'err'>): number {
  if (args.length !== 2 || args[0] !== '--out') return usage(ctx, 'verifier needs --out DIR', 'verifier');
  const w = writeVerifier(args[1]!);
  for (const f of w.files) ctx.out(`${f.sha256}  ${w.dir}/${f.name}`);
  ctx.out('give these to the auditor to keep; they run their copy on every export: node verify.mjs EXPORT_DIR');
  return 0;
}

function usage(ctx: Pick<AuditCliContext, 'err'>, why: string, sub = 'export'): number {
  ctx.err(`audit ${sub}: ${why}`);
  ctx.err(USAGE);
  return 2;
}

const BUNDLE_USAGE = 'usage: tresor audit bundle (--ids A,B,… | --hold HOLD_ID) --case REF --out DIR [--recipient TEXT] [--password] [--recipient-key HEX] [--lang de|en] [--approval ID] [--reason R]';

/**
 * `audit bundle`: an evidence bundle of a case's calls (issue 13 item 5; src/privacy/bundle.ts).
 * Prints the folder (or ZIP), its files and the call count; a generated password is printed
 * once, here, and kept nowhere. Above audit.bundleApprovalOver calls the first run asks for
 * four-eyes approval and stops; after `tresor approve ID` by someone else, run it again with
 * --approval ID.
 */
export async function bundleCommand(args: string[], ctx: { config: Config; actor: string; io: Io }): Promise<number> {
  const { values, positionals } = parse(args, {
    ids: { type: 'string' }, hold: { type: 'string' }, case: { type: 'string' }, out: { type: 'string' }, recipient: { type: 'string' },
    password: { type: 'boolean' }, 'recipient-key': { type: 'string' }, lang: { type: 'string' }, approval: { type: 'string' }, reason: { type: 'string' },
  });
  if (positionals.length || !values.case || !values.out || (!values.ids === !values.hold)) throw new TresorError('E_USAGE', BUNDLE_USAGE);
  if (values.lang !== undefined && values.lang !== 'de' && values.lang !== 'en') throw new TresorError('E_USAGE', '--lang is de or en');
  if (existsSync(values.out) && readdirSync(values.out).length) throw new TresorError('E_EXISTS', `${values.out} is not empty: give a new folder for the bundle`);
  const sel: BundleSelection = values.ids ? { ids: values.ids.split(',').map((s) => s.trim()).filter(Boolean) } : { holdId: values.hold! };
  const { config, actor, io } = ctx;
  // the data directory holds calls only sealed: crypto-shredding reaches nothing decrypted
  // there, and nothing would ever remove such a copy (an access package's are; src/core/copies.ts)
  const rel = relative(resolve(config.dataDir), resolve(values.out));
  if (!values.password && values['recipient-key'] === undefined && (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)))) {
    throw new TresorError('E_INVALID', `${values.out} is inside the data directory: an unprotected bundle holds decrypted calls, and crypto-shredding does not reach them there; give a folder outside ${config.dataDir}, or --password / --recipient-key`);
  }
  const tty = process.stderr.isTTY === true;
  return withArchive(config, async (site, archive) => {
    const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });
    const r = await buildBundle({ store: site.store, log: site.log, access }, cliPrincipal(actor), sel, {
      out: values.out!, caseRef: values.case!, recipient: values.recipient, password: values.password ? true : undefined,
      recipientKey: values['recipient-key'] !== undefined ? parseRecipientKey(values['recipient-key']) : undefined,
      lang: values.lang as 'de' | 'en' | undefined, approvalOver: config.audit.bundleApprovalOver, approval: values.approval, approvalReason: values.reason,
      onProgress: tty ? (done, total, id) => io.err(`bundle: ${done}/${total} ${id}`) : undefined,
    });
    if (r.sealed) {
      io.out(r.sealed);
      io.err(`sealed to the recipient's key; send the folder ${r.dir} (the recipient runs: node open-bundle.mjs evidence-bundle.tresorbox --key THEIR_KEY_FILE)`);
    } else if (r.zip) io.out(r.zip);
    else for (const f of r.files) io.out(`${f.sha256}  ${r.dir}/${f.path}`);
    io.out(`${r.calls.length} call(s); export entry ${r.exportSeq} under checkpoint ${r.checkpointSize}`);
    if (r.password) io.out(`password (shown once, stored nowhere; give it to the recipient by another channel): ${r.password}`);
    return 0;
  });
}
