import { TresorError } from '../core/errors.ts';
import { createAccess } from '../access/index.ts';
import { cliPrincipal } from '../auth/roles.ts';
import { withArchive, withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';

/**
 * `tresor consent show ID [--json]` (the call's consent state and evidence, a logged read
 * through the access door) and `tresor consent review [--json]` (issue 12, item 4: calls
 * whose consent is unknown, oldest first, with the day each leaves the list after
 * consent.unknownDays; ids and times only, no personal data).
 */
const USAGE = 'usage: tresor consent show ID [--json] | tresor consent review [--json]';

export const consentCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
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
      const items: { id: string; start: string; decideAfter: string }[] = [];
      let before: [number, string] | undefined;
      for (;;) {
        const page = site.store.recordings.search({ consentState: 'unknown', limit: 500, ...(before ? { before } : {}) });
        for (const r of page.rows) items.push({ id: r.id, start: new Date(r.start).toISOString(), decideAfter: new Date(r.ingestedAt + days * 86_400_000).toISOString() });
        if (!page.next) break;
        before = page.next;
      }
      items.reverse();
      await site.log.append([{ actor, action: 'consent.reviewed', target: 'recordings', detail: { unknown: items.length } }]);
      if (values.json) io.out(JSON.stringify({ unknownDays: days, items }, null, 2));
      else {
        io.out(`${items.length} call(s) with unknown consent (decided after ${days} days, consent.unknownDays)`);
        for (const i of items) io.out(`${i.id}  ${i.start}  decide after ${i.decideAfter.slice(0, 10)}`);
      }
      return 0;
    });
  }
  throw new TresorError('E_USAGE', USAGE);
};
