// One pass over the inbox: what is there right now, from lstat alone. Stateless; the
// stability tracker (stability.ts) decides what the observations mean.
import { opendir, lstat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { classifyName, isIgnoredDirName, isIgnoredName } from './filter.ts';
import type { Observed } from './stability.ts';

/** FreePBX needs 3 levels (YYYY/MM/DD); deeper trees are someone's mistake, not ours to walk. */
export const MAX_DEPTH = 16;

export interface Walk {
  entries: Observed[];
  /** every folder entered, breadth first (the inbox first): what fs.watch hints come from */
  dirs: string[];
  /** false when a folder could not be read, so state is not pruned on a glitch */
  complete: boolean;
}

export type Report = (e: unknown, what: string) => void;

/**
 * Breadth-first walk with lstat only: nothing below the inbox is followed or opened.
 * (The inbox itself may be a link an admin set up, e.g. to a mount; that one is followed.)
 */
export async function walkInbox(inbox: string, skipDirs: ReadonlySet<string>, report: Report): Promise<Walk> {
  const entries: Observed[] = [];
  const dirs: string[] = [];
  let complete = true;
  const fail = (e: unknown, what: string): void => {
    complete = false;
    report(e, what);
  };
  const queue: Array<{ abs: string; rel: string; depth: number }> = [{ abs: inbox, rel: '', depth: 0 }];
  for (let item = queue.shift(); item; item = queue.shift()) {
    dirs.push(item.abs);
    try {
      for await (const d of await opendir(item.abs)) {
        const name = d.name;
        if (name.startsWith('.')) continue; // hidden: never even lstat'ed
        const abs = join(item.abs, name);
        const rel = item.rel === '' ? name : `${item.rel}/${name}`;
        const st = await lstatOrNull(abs, fail);
        if (!st) continue;
        if (st.isDirectory()) {
          if (!isIgnoredDirName(name) && !skipDirs.has(abs) && item.depth < MAX_DEPTH) {
            queue.push({ abs, rel, depth: item.depth + 1 });
          }
        } else if (!isIgnoredName(name)) {
          entries.push({ path: abs, relPath: rel, dir: item.abs, name, kind: classifyName(name), st });
        }
      }
    } catch (e) {
      // A folder that vanished mid-walk is normal (the PBX or an admin tidied up).
      if (item.depth === 0 || errnoOf(e) !== 'ENOENT') fail(e, `reading folder ${item.abs}`);
    }
  }
  return { entries, dirs, complete };
}

async function lstatOrNull(p: string, report: Report) {
  try {
    return await lstat(p);
  } catch (e) {
    // the folder, not the file: file names carry phone numbers and this goes to the journal
    if (errnoOf(e) !== 'ENOENT') report(e, `lstat of an entry in ${dirname(p)}`);
    return null; // gone between listing and lstat: it will be seen (or not) next scan
  }
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}
