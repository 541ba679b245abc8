import { TresorError } from '../core/errors.ts';
import { acknowledgeAlert } from '../alerts/index.ts';
import { withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';

const USAGE = 'usage: tresor alerts list [--json] [--all] | tresor alerts ack ID';

/** `tresor alerts list [--json]` (raised alerts, open and acknowledged; --all with cleared ones) and `alerts ack ID`. */
export const alertsCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { json: { type: 'boolean' }, all: { type: 'boolean' } });
  if (sub === 'list') {
    return withSite(config, async (site) => {
      const rows = values.all ? site.store.alerts.latest(1000) : site.store.alerts.active();
      if (values.json) io.out(JSON.stringify(rows, null, 2));
      else if (!rows.length) io.out('no alerts');
      else for (const r of rows) {
        io.out([r.id, r.severity.toUpperCase(), r.state, r.rule, r.subject ?? '-', new Date(r.raisedAt).toISOString(), JSON.stringify(r.detail)].join('\t'));
      }
      return 0;
    }, { readOnly: true });
  }
  if (sub === 'ack') {
    if (positionals.length !== 1) throw new TresorError('E_USAGE', USAGE);
    return withSite(config, async (site) => {
      await acknowledgeAlert(site.store, site.log, positionals[0]!, actor);
      io.out(`alert ${positionals[0]} acknowledged`);
      return 0;
    });
  }
  throw new TresorError('E_USAGE', USAGE);
};
