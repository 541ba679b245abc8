import { opendir } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { TresorError } from '../core/errors.ts';
import { sourceRef } from '../ingest/source.ts';
import { parse, type Command } from './args.ts';
import { withSite } from './with-site.ts';

/**
 * `tresor inbox locate REF`: the journal and the dashboard name a refused or waiting file
 * by a reference (a keyed token of its path), never by its name, which carries phone
 * numbers (issue 16). The operator at the box turns the reference back into the file.
 * Walks the inbox like the scanner does: lstat only, links never followed.
 */
export const inboxCmd: Command = async (args, { config, io }) => {
  const [sub, ...rest] = args;
  if (sub !== 'locate') throw new TresorError('E_USAGE', 'inbox locate REF');
  const { positionals } = parse(rest, {});
  const ref = positionals[0]?.toLowerCase();
  if (positionals.length !== 1 || !ref || !/^[0-9a-f]{6,64}$/.test(ref)) throw new TresorError('E_USAGE', 'inbox locate REF (the hex reference the journal printed)');
  const inbox = resolve(config.inbox);
  return withSite(config, async (site) => {
    const found: string[] = [];
    const queue = [inbox];
    for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
      let d;
      try {
        d = await opendir(dir);
      } catch {
        continue;
      }
      for await (const e of d) {
        const p = join(dir, e.name);
        if (e.isDirectory()) queue.push(p);
        else if (sourceRef(site.keys, p).startsWith(ref)) found.push(relative(inbox, p));
      }
    }
    for (const f of found) io.out(f);
    if (!found.length) io.err(`tresor: no file in ${inbox} has reference ${ref} (gone already, or another inbox)`);
    return found.length ? 0 : 1;
  });
};
