import { TresorError } from '../core/errors.ts';
import { createAccess } from '../access/index.ts';
import { cliPrincipal } from '../auth/roles.ts';
import { withArchive, withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';
import { decideOptions, decideUnknown, undecidedUnknown } from '../consent/index.ts';

/**
 * `tresor consent show ID [--json]` (the call's consent state and evidence, a logged read
 * through the access door) and `tresor consent review [--json]` (issue 12, item 4: calls
 * whose consent is unknown, oldest first, with the day each leaves the list after
 * consent.unknownDays; ids and times only, no personal data) and `tresor consent decide
 * [--dry-run] [--json]` (the decision for those whose days are over, consent.unknownAction;
 * the scheduled purge runs the same).
 */
const USAGE = 'usage: tresor consent show ID [--json] | tresor consent review [--json] | tresor consent decide [--dry-run] [--json]';

export const consentCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' } });
  if (values['dry-run'] && sub !== 'decide') throw new TresorError('E_USAGE', USAGE);
  if (sub === 'show' && positionals.length === 1) {
    return withArchive(config, async (site, archive) => {
      const v = await createAccess({ store: site.store, keys: site.keys, archive, log: site.log }).view(cliPrincipal(actor), positionals[0]!);
      const out = { id: v.id, consent: v.consent, consentEvidence: v.consentEvidence ?? [] };
      if (values.json) io.out(JSON.stringify(out, null, 2));
      else {
        io.out(`${v.id}  consent ${v.consent.state}`);
        for (const e of out.consentEvidence) io.out(`  ${e.method}  ${e.state}${e.at ? `  at ${e.at}` : ''}${e.offsetMs !== null ? `  offset ${(e.offsetMs / 1000).toFixed(2)} s` : ''}${e.source ? `  from ${e.source}` : ''}`);
      }
      return 0;
    });
  }
  if (sub === 'review' && positionals.length === 0) {
    return withSite(config, async (site) => {
      const days = config.consent.unknownDays;
      // oldest first; a call the policy decided already (restricted) is off the list
      const items = undecidedUnknown(site.store, days).map((c) => ({ id: c.id, start: new Date(c.start).toISOString(), decideAfter: new Date(c.decideAfter).toISOString() }));
      await site.log.append([{ actor, action: 'consent.reviewed', target: 'recordings', detail: { unknown: items.length } }]);
      if (values.json) io.out(JSON.stringify({ unknownDays: days, items }, null, 2));
      else {
        io.out(`${items.length} call(s) with unknown consent (decided after ${days} days, consent.unknownDays)`);
        for (const i of items) io.out(`${i.id}  ${i.start}  decide after ${i.decideAfter.slice(0, 10)}`);
      }
      return 0;
    });
  }
  if (sub === 'decide' && positionals.length === 0) {
    return withSite(config, async (site) => {
      const o = decideOptions(config, actor, Date.now(), !!values['dry-run']);
      const r = await decideUnknown({ store: site.store, log: site.log, dataDir: config.dataDir }, o);
      if (values.json) io.out(JSON.stringify(r, null, 2));
      if (r.kind === 'off') {
        if (!values.json) io.out('consent.policy is not set: the no-consent policy is off, unknown consent is not decided');
        return 0;
      }
      if (r.kind === 'held') {
        if (!values.json) io.out(`DECISION HELD (the purge's clock guard): ${r.hold.reason}\nIf the clock is right, confirm with: tresor purge --confirm-clock`);
        return 1;
      }
      if (values.json) return 0;
      const iso = (t: number) => new Date(t).toISOString();
      const verb = o.action === 'erase' ? 'ERASE' : 'RESTRICT';
      if (r.kind === 'dry-run') {
        io.out(`dry run at ${iso(r.plan.now)}: ${r.plan.due.length} call(s) with consent unknown for ${o.unknownDays} days would be ${o.action === 'erase' ? 'erased' : 'restricted'} (consent.unknownAction), ${r.plan.held.length} kept by legal holds`);
        for (const c of r.plan.due) io.out(`${verb}  ${c.id}  archived ${iso(c.ingestedAt)}  due ${iso(c.decideAfter)}`);
        for (const c of r.plan.held) io.out(`HELD  ${c.id}  archived ${iso(c.ingestedAt)}  hold ${c.hold}`);
        return 0;
      }
      io.out(`${r.erased.length} erased, ${r.restricted.length} restricted, ${r.held.length} kept by legal holds, ${r.skipped.length} skipped (consent.unknownAction ${o.action}, after ${o.unknownDays} days)`);
      for (const id of r.erased) io.out(`ERASED      ${id}`);
      for (const id of r.restricted) io.out(`RESTRICTED  ${id}`);
      for (const h of r.held) io.out(`HELD        ${h.id}  hold ${h.hold}`);
      for (const s of r.skipped) io.out(`SKIPPED     ${s.id}: ${s.why}`);
      return 0;
    });
  }
  throw new TresorError('E_USAGE', USAGE);
};
