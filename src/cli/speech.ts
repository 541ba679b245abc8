import { resolve } from 'node:path';
import { TresorError } from '../core/errors.ts';
import { importModel, lockSwitches, requestUnlock, setSwitch, speechStatus, statusLines, SWITCHES } from '../speech/index.ts';
import { withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';

/**
 * `tresor speech …` (issue 12 #5, #6): model bundles (imported, never downloaded), what
 * the speech analysis would do here, and the works-council switches (§ 87 Abs. 1 Nr. 6
 * BetrVG), as `cli:<os user>`.
 */
const USAGE = `usage: tresor speech import-model DIR [--json]
       tresor speech status [--json]
       tresor speech switch ${SWITCHES.join('|')} on|off --reason R
       tresor speech lock --reason R | tresor speech unlock --reason R   (unlocking needs a second person)`;

export const speechCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'import-model': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length !== 1) throw new TresorError('E_USAGE', `speech import-model: give the model folder\n${USAGE}`);
      return withSite(config, async (site) => {
        const r = await importModel(config.dataDir, site.log, actor, resolve(positionals[0]!));
        if (values.json) io.out(JSON.stringify(r, null, 2));
        else {
          io.out(r.sha256);
          io.err(`${r.already ? 'already imported' : 'imported'}: ${r.layout} model, ${r.files} files, ${r.bytes} bytes; use it with "speech": {"model": "${r.sha256}"}`);
        }
        return 0;
      });
    }
    case 'status': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length) throw new TresorError('E_USAGE', USAGE);
      return withSite(config, async (site) => {
        const s = await speechStatus(config, site.store);
        io.out(values.json ? JSON.stringify(s, null, 2) : statusLines(s).join('\n'));
        return 0;
      }, { readOnly: true });
    }
    case 'switch': {
      const { values, positionals } = parse(rest, { reason: { type: 'string' } });
      const [name, state] = positionals;
      if (positionals.length !== 2 || (state !== 'on' && state !== 'off')) throw new TresorError('E_USAGE', USAGE);
      return withSite(config, async (site) => {
        const s = await setSwitch(site.store, site.log, actor, name!, state === 'on', values.reason);
        io.out(`${name} ${s.on[name as (typeof SWITCHES)[number]] ? 'on' : 'off'}${s.locked ? ' (switches locked)' : ''}`);
        return 0;
      });
    }
    case 'lock': {
      const { values, positionals } = parse(rest, { reason: { type: 'string' } });
      if (positionals.length) throw new TresorError('E_USAGE', USAGE);
      return withSite(config, async (site) => {
        await lockSwitches(site.store, site.log, actor, values.reason);
        io.out('works-council switches locked: none can be switched on until a four-eyes unlock');
        return 0;
      });
    }
    case 'unlock': {
      const { values, positionals } = parse(rest, { reason: { type: 'string' } });
      if (positionals.length) throw new TresorError('E_USAGE', USAGE);
      return withSite(config, async (site) => {
        const row = await requestUnlock(site.store, site.log, actor, values.reason);
        io.out(row.id);
        io.err(`unlock requested: a second admin or dpo decides with tresor approve ${row.id}`);
        return 0;
      });
    }
    default:
      throw new TresorError('E_USAGE', USAGE);
  }
};
