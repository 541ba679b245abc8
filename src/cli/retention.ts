import { TresorError } from '../core/errors.ts';
import { withSite } from './with-site.ts';
import { confirmClock } from '../retention/clock-guard.ts';
import { purgeWithGuards } from '../retention/run.ts';
import { whyStillHere } from '../retention/purge.ts';
import { listPolicies, policyImpact, reevaluateAll, savePolicy } from '../retention/policies.ts';
import type { Policy } from '../policy/index.ts';
import { configWaitingText, requestPolicyChange, syncConfigPolicies } from '../retention/policy-change.ts';
import { cliPrincipal } from '../auth/roles.ts';
import { isTresorError } from '../core/errors.ts';
import { parse, type Command } from './args.ts';

const iso = (t: number | null) => (t === null ? 'never' : new Date(t).toISOString());

/**
 * `tresor purge [--dry-run] [--confirm-clock] [--json]`: the same guarded purge as the
 * schedule. A dry run lists exactly what would go and why, and what holds keep.
 */
export const purgeCmd: Command = async (args, { config, actor, io }) => {
  const { values } = parse(args, { 'dry-run': { type: 'boolean' }, 'confirm-clock': { type: 'boolean' }, json: { type: 'boolean' } });
  return withSite(config, async (site) => {
    const synced = await syncConfigPolicies(site.store, site.log, config.retention.policies, { graceDays: config.retention.configGraceDays });
    for (const w of synced.waiting) io.err(configWaitingText(w).replace(/^tresor: /, ''));
    if (values['confirm-clock']) {
      const c = await confirmClock(site.store, site.log, actor, Date.now());
      io.err(c.wasHeld ? `purge hold lifted by ${actor}; the clock reads ${new Date().toISOString()}` : 'no purge was held; the current time is now the reference for the clock check');
      if (c.released) io.err(`${c.released} call(s) ingested while the clock was held now have their expiry`);
    }
    const deps = { store: site.store, log: site.log, dataDir: config.dataDir };
    const r = await purgeWithGuards(deps, {
      by: actor, now: Date.now(), maxJumpMs: config.retention.maxClockJumpHours * 3600_000, dryRun: values['dry-run'],
      onProgress: (d, t) => io.err(`purge: ${d}/${t}`),
    });
    if (r.kind === 'held') {
      if (values.json) io.out(JSON.stringify({ held: r.hold }, null, 2));
      else io.out(`PURGE HELD: ${r.hold.reason}\nIf the clock is right, confirm with: tresor purge --confirm-clock`);
      return 1;
    }
    if (r.kind === 'dry-run') {
      const { plan } = r;
      if (values.json) {
        io.out(JSON.stringify(plan, null, 2));
        return 0;
      }
      io.out(`dry run at ${iso(plan.now)}: ${plan.due.length} recording(s) would be purged, ${plan.held.length} held`);
      for (const d of plan.due) io.out(`PURGE  ${d.id}  call ${iso(d.start)}  policy ${d.policy}  expired ${iso(d.expiresAt)}`);
      for (const h of plan.held) io.out(`HELD   ${h.id}  call ${iso(h.start)}  policy ${h.policy}  expired ${iso(h.expiresAt)}  hold ${h.hold}`);
      return 0;
    }
    const { run, plan, skipped } = r.result;
    if (values.json) io.out(JSON.stringify({ run, held: plan.held.length, skipped }, null, 2));
    else {
      io.out(`purged ${run.purged} recording(s); ${plan.held.length} kept by legal holds; ${skipped.length} skipped`);
      for (const s of skipped) io.out(`SKIPPED ${s.id}: ${s.why}`);
      if (run.report) io.out(`report: ${run.report.json}\n        ${run.report.csv}\n        sha256 ${run.report.sha256} (logged in purge.completed, covered by the checkpoint just signed)`);
    }
    return 0;
  });
};

/** `tresor retention why ID | policies | reevaluate`: why a call is gone, or why it is still here. */
export const retentionCmd: Command = async (args, ctx) => {
  const { config, io } = ctx;
  const [sub, ...rest] = args;
  if (sub === 'set' || sub === 'remove') return policyEditCmd(sub, rest, ctx);
  const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
  return withSite(config, async (site) => {
    if (sub === 'why') {
      if (positionals.length !== 1) throw new TresorError('E_USAGE', 'retention why ID');
      const w = whyStillHere(site.store, positionals[0]!, Date.now());
      if (values.json) io.out(JSON.stringify(w, null, 2));
      else if (w.state === 'purged') {
        const p = w.purged;
        io.out(`GONE: purged ${iso(p.purgedAt)} by ${p.by}, reason ${p.reason}${p.policy ? `, policy "${p.policy}" (expired ${iso(p.expiresAt)})` : ''}${p.approval ? `, approval ${p.approval}` : ''}${p.run ? `, run ${p.run}` : ''}`);
      } else {
        io.out(w.hold ? `KEPT: legal hold ${w.hold}` : w.awaitingClock ? 'KEPT: ingested while the clock was suspect; no expiry until an admin confirms the time (tresor purge --confirm-clock)' : w.policy ? `KEPT: policy "${w.policy}" keeps it until ${iso(w.expiresAt)}${w.due ? ' (due: the next purge takes it)' : ''}` : 'KEPT: no retention policy matches it (nothing expires without a policy)');
      }
      return 0;
    }
    if (sub === 'policies') {
      const ps = listPolicies(site.store);
      if (values.json) io.out(JSON.stringify(ps, null, 2));
      else for (const p of ps) io.out(`${p.name}\tkeep ${p.keep}\t${p.lock ? 'LOCKED' : 'unlocked'}\tmatch ${JSON.stringify(p.match)}\t(by ${p.updatedBy})`);
      return 0;
    }
    if (sub === 'reevaluate') {
      const r = await reevaluateAll(site.store);
      io.out(`re-evaluated ${r.reevaluated} recording(s), ${r.changed} changed`);
      return 0;
    }
    throw new TresorError('E_USAGE', RETENTION_USAGE);
  });
};

const RETENTION_USAGE = `usage: tresor retention why ID | retention policies [--json] | retention reevaluate
       tresor retention set NAME --keep DURATION [--queue Q…] [--direction D…] [--purpose P…] [--tag T…] [--consent C…] [--lock]
                            [--reason R [--grace-days N]]
       tresor retention remove NAME [--reason R [--grace-days N]]`;

/**
 * `tresor retention set|remove`: the same rule as the console. A change that makes
 * stored calls due earlier is refused with its dry run; with --reason it becomes a
 * four-eyes request (and with --grace-days N it takes effect on its own after N days
 * unless someone rejects it).
 */
export const policyEditCmd = async (sub: 'set' | 'remove', rest: string[], { config, actor, io }: Parameters<Command>[1]): Promise<number> => {
  const { values, positionals } = parse(rest, {
    keep: { type: 'string' }, queue: { type: 'string', multiple: true }, direction: { type: 'string', multiple: true },
    purpose: { type: 'string', multiple: true }, tag: { type: 'string', multiple: true }, consent: { type: 'string', multiple: true },
    lock: { type: 'boolean' }, reason: { type: 'string' }, 'grace-days': { type: 'string' },
  });
  if (positionals.length !== 1 || (sub === 'set' && !values.keep)) throw new TresorError('E_USAGE', RETENTION_USAGE);
  const name = positionals[0]!;
  const match: Record<string, string[]> = {};
  for (const [k, v] of [['queue', values.queue], ['direction', values.direction], ['purpose', values.purpose], ['tags', values.tag], ['consent', values.consent]] as const) {
    if (v?.length) match[k] = v;
  }
  const next: Policy | null = sub === 'set' ? { name, keep: values.keep!.toUpperCase(), match, lock: !!values.lock } : null;
  const grace = values['grace-days'] === undefined ? undefined : Number(values['grace-days']);
  return withSite(config, async (site) => {
    try {
      await savePolicy(site.store, site.log, actor, name, next);
      io.out(sub === 'set' ? `policy "${name}" saved; every recording's expiry was recomputed` : `policy "${name}" removed`);
      return 0;
    } catch (e) {
      if (!(isTresorError(e) && e.detail.reason === 'needs-approval')) throw e;
      const impact = policyImpact(site.store, name, next);
      if (!values.reason) {
        io.out(`NEEDS APPROVAL: ${e.message}`);
        for (const c of impact.earlier.slice(0, 50)) io.out(`EARLIER ${c.id}  call ${iso(c.start)}  ${Math.round(c.durationMs / 1000)} s  queue ${c.queue ?? '-'}  expiry ${iso(c.before)} -> ${iso(c.after)}`);
        if (impact.earlier.length > 50) io.out(`… ${impact.earlier.length - 50} more`);
        io.out('To ask a second person: repeat with --reason R (and --grace-days N to let it take effect after N days unless rejected).');
        return 1;
      }
      const a = await requestPolicyChange(site.store, site.log, actor, { name, next, reason: values.reason, person: cliPrincipal(actor).name, graceDays: grace });
      io.out(a.id);
      io.err(`policy change requested: ${impact.earlier.length} recording(s) become due earlier (${impact.dueNow} at once); a second person approves it (console /approvals or tresor approve ${a.id})${a.graceUntil ? `, or it takes effect on ${iso(a.graceUntil)} unless rejected` : ` before ${iso(a.expiresAt)}`}`);
      return 0;
    }
  });
};
