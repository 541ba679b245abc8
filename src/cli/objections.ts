import { TresorError } from '../core/errors.ts';
import type { Config } from '../config/index.ts';
import { addObjection, listObjections, objectionView, removeObjection, type PrivacyDeps } from '../privacy/index.ts';
import type { Site } from '../site/open.ts';
import { withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';

/** `tresor objection …` (issue 11 #5): the do-not-record register from the box's shell, as `cli:<os user>`. */
const USAGE = `usage: tresor objection add (--number N | --customer-id C) --scope record|analytics [--request ID] [--json]
       tresor objection list [--json]
       tresor objection remove ID`;

const depsOf = (site: Site, config: Config): PrivacyDeps => ({ store: site.store, log: site.log, keys: site.keys, phone: config.phone, dataDir: config.dataDir });

export const objectionCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parse(rest, {
        number: { type: 'string' }, 'customer-id': { type: 'string' }, scope: { type: 'string' }, request: { type: 'string' }, json: { type: 'boolean' },
      });
      if (positionals.length || !values.scope) throw new TresorError('E_USAGE', `objection add: give --scope\n${USAGE}`);
      if (!values.number && !values['customer-id']) throw new TresorError('E_USAGE', `give --number N or --customer-id C\n${USAGE}`);
      return withSite(config, async (site) => {
        const { row, existingCalls } = await addObjection(depsOf(site, config), actor, {
          number: values.number, customerId: values['customer-id'], scope: values.scope!, requestId: values.request,
        });
        if (values.json) io.out(JSON.stringify({ ...objectionView(row), existingCalls }, null, 2));
        else {
          io.out(row.id);
          io.err(`objection (${row.scope}) registered; ${existingCalls} archived call(s) of this subject: erase or restrict them (DPO task)`);
        }
        return 0;
      });
    }
    case 'list': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length) throw new TresorError('E_USAGE', USAGE);
      return withSite(config, async (site) => {
        const views = listObjections(depsOf(site, config)).map(objectionView);
        if (values.json) io.out(JSON.stringify(views, null, 2));
        else if (!views.length) io.out('no objections');
        else {
          io.out(['ID', 'SCOPE', 'IDENTIFIERS', 'REQUEST', 'CREATED', 'STATE'].join('\t'));
          for (const v of views) io.out([v.id, v.scope, v.identifiers.join(','), v.requestId ?? '-', v.createdAt, v.active ? 'active' : `removed ${v.removedAt}`].join('\t'));
        }
        return 0;
      }, { readOnly: true });
    }
    case 'remove': {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 1) throw new TresorError('E_USAGE', USAGE);
      return withSite(config, async (site) => {
        const r = await removeObjection(depsOf(site, config), actor, positionals[0]!);
        io.out(`objection ${r.id} removed`);
        return 0;
      });
    }
    default:
      throw new TresorError('E_USAGE', USAGE);
  }
};
