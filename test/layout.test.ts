// The module layout of DESIGN §2, checked on every `npm test`: which folder may import
// which, no runtime import cycles, and (reported, not enforced) imports that reach past a
// module's index.ts. Pure TypeScript over the source text: no dependency-graph tool.
//
// An import counts for the layout whether or not it is type-only (a type from another
// module is still a dependency on it); only runtime imports make a cycle, since
// `import type` is erased and cannot change the order modules are evaluated in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * DESIGN §2, top to bottom. A module in the "above" group may import every module listed
 * before it; the others name what they may import. `root` is src/main.ts and src/service.ts;
 * the wiring they and the CLI share (open, ffmpeg, recovery, media, ingest with its gates)
 * is src/site/wire.ts, in `site` so that the console's retry may use it too.
 */
const ORDER = [
  'core', 'documents', 'config', 'policy', 'store', 'crypto', 'media', 'archive', 'audit', 'auth', 'approvals',
  'access', 'ingest', 'retention', 'privacy', 'consent', 'speech', 'alerts', 'site',
] as const;
const NAMED: Record<string, readonly string[]> = {
  core: [],
  // src/documents/ (p2-documents: PDF, QR code, ZIP writers) is not in DESIGN §2's table
  // yet: plain writers on top of core that the layers above (privacy, bundles) share
  documents: ['core'],
  config: ['core', 'policy'],
  policy: ['core'],
  store: ['core'],
  crypto: ['core', 'store'],
  media: ['core', 'config'],
  archive: ['core', 'crypto', 'store'],
  // documents: the checkpoint hand-out (src/audit/hand-out.ts) is a PDF with a QR code
  audit: ['core', 'documents', 'crypto', 'store'],
  auth: ['core', 'store'],
  approvals: ['core', 'store', 'audit', 'auth'],
};
const ALL = [...ORDER, 'web', 'cli', 'views', 'root'];

function moduleOf(file: string): string {
  if (file.startsWith('views/')) return 'views';
  const parts = file.split('/');
  if (parts.length === 2) return 'root';
  const m = parts[1]!;
  return m;
}

/** Why `from` may not import `to` (null: it may). */
function forbidden(from: string, to: string, typeOnly: boolean): string | null {
  if (from === to || from === 'root') return null;
  if (!ALL.includes(to)) return `${to} is not a module of DESIGN §2`;
  if (from === 'views') return to === 'core' && typeOnly ? null : 'views may import core types only';
  if (to === 'root') return from === 'cli' ? null : 'only the CLI may import the composition root';
  if (from === 'web') return to === 'cli' ? 'web may import everything but cli' : null;
  if (from === 'cli') return to === 'web' ? 'cli may import everything but web' : null;
  const named = NAMED[from];
  if (named) return named.includes(to) ? null : `${from} may import ${named.length ? named.join(', ') : 'nothing'}`;
  const i = ORDER.indexOf(from as (typeof ORDER)[number]);
  if (i < 0) return `${from} is not a module of DESIGN §2`;
  return ORDER.indexOf(to as (typeof ORDER)[number]) >= 0 && ORDER.indexOf(to as (typeof ORDER)[number]) < i
    ? null
    : `${from} may import the layers above it (${ORDER.slice(0, i).join(', ')})`;
}

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
  line: number;
}

/**
 * The relative imports of one file. Import and export statements start a line (the code
 * base has no other style); `import('x')` is a runtime import unless it names a type
 * (`import('x').T` outside an `await`).
 */
function importsOf(file: string, text: string): Import[] {
  const out: Import[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  const add = (spec: string, typeOnly: boolean, at: number) => {
    if (!spec.startsWith('.')) return; // node:, packages
    const to = relative(ROOT, resolve(ROOT, dirname(file), spec)).split('\\').join('/');
    out.push({ from: file, to, typeOnly, line: lineAt(at) });
  };
  const stmt = /^[ \t]*(import|export)\s+(type\s+)?([^;'"]*?)\s*from\s*['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(stmt)) {
    const [, , typeKw, clause, spec] = m;
    // `import { type A, type B }` is erased as a whole, `import { type A, B }` is not
    const names = /^\{([^}]*)\}$/.exec(clause!.trim());
    const allTyped = !!names && names[1]!.split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    add(spec!, !!typeKw || allTyped, m.index);
  }
  for (const m of text.matchAll(/^[ \t]*import\s*['"]([^'"]+)['"]/gm)) add(m[1]!, false, m.index);
  for (const m of text.matchAll(/(\bawait\s+)?\bimport\(\s*['"]([^'"]+)['"]\s*\)(\.\w+)?/g)) {
    const typeOnly = !m[1] && !!m[3] && m[3] !== '.then';
    add(m[2]!, typeOnly, m.index);
  }
  return out;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const p = `${dir}/${name}`;
    if (statSync(join(ROOT, p)).isDirectory()) sourceFiles(p, out);
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Strongly connected components of more than one file (or a file importing itself). */
function cycles(files: string[], edges: Import[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (!e.typeOnly && next.has(e.to)) next.get(e.from)!.push(e.to);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1 || next.get(v)!.includes(v)) found.push(scc.sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return found;
}

/**
 * Today's forbidden imports, `from-file -> to-file`, each with the branch that removes it.
 * The list may only shrink: an entry that no longer matches an import fails the test too.
 */
const ALLOWED_EDGES: Record<string, string> = {
};

/**
 * Today's runtime cycles, by the files in them (sorted, joined with " ↔ "): none since
 * cli/args.ts took `parse` out of cli/main.ts. Keep it that way.
 */
const ALLOWED_CYCLES: Record<string, string> = {};

/**
 * Reported, not enforced (yet): imports into another module past its index.ts, which
 * DESIGN §2 calls a smell. Listed per importing module and target file.
 */
function reportDeepImports(t: { diagnostic(s: string): void }): void {
  const byPair = new Map<string, Map<string, number>>();
  let total = 0;
  for (const e of edges) {
    const a = moduleOf(e.from);
    const b = moduleOf(e.to);
    if (a === b || b === 'root' || b === 'views' || e.to.endsWith('/index.ts')) continue;
    const files = byPair.get(`${a} -> ${b}`) ?? new Map<string, number>();
    const f = e.to.split('/').slice(2).join('/');
    files.set(f, (files.get(f) ?? 0) + 1);
    byPair.set(`${a} -> ${b}`, files);
    total++;
  }
  t.diagnostic(`deep imports past an index.ts (reported, not enforced): ${total}, ${byPair.size} module pairs`);
  for (const [pair, files] of [...byPair].sort()) {
    t.diagnostic(`  deep ${pair}: ${[...files].map(([f, n]) => (n > 1 ? `${f} ×${n}` : f)).join(', ')}`);
  }
}

const files = [...sourceFiles('src'), ...sourceFiles('views')].sort();
const edges = files.flatMap((f) => importsOf(f, readFileSync(join(ROOT, f), 'utf8')));

test('layout_every_relative_import_names_an_existing_file', () => {
  const missing = edges.filter((e) => !existsSync(join(ROOT, e.to))).map((e) => `${e.from}:${e.line} -> ${e.to}`);
  assert.deepEqual(missing, []);
});

test('layout_no_import_crosses_a_forbidden_edge_of_design_section_2', (t) => {
  const seen = new Set<string>();
  const fresh: string[] = [];
  for (const e of edges) {
    const why = forbidden(moduleOf(e.from), moduleOf(e.to), e.typeOnly);
    if (!why) continue;
    const key = `${e.from} -> ${e.to}`;
    seen.add(key);
    if (!(key in ALLOWED_EDGES)) fresh.push(`${e.from}:${e.line} -> ${e.to}${e.typeOnly ? ' (types)' : ''}: ${why}`);
  }
  const stale = Object.keys(ALLOWED_EDGES).filter((k) => !seen.has(k));
  const byPair = new Map<string, number>();
  for (const k of seen) {
    const [a, b] = k.split(' -> ');
    const pair = `${moduleOf(a!)} -> ${moduleOf(b!)}`;
    byPair.set(pair, (byPair.get(pair) ?? 0) + 1);
  }
  t.diagnostic(`forbidden imports: ${seen.size} (allow-listed ${Object.keys(ALLOWED_EDGES).length}); by module: ${[...byPair].map(([p, n]) => `${p} ${n}`).join(', ') || 'none'}`);
  reportDeepImports(t);
  assert.deepEqual(fresh, [], 'imports across a forbidden edge (move the code, or import from a lower layer)');
  assert.deepEqual(stale, [], 'allow-list entries that no longer match an import: delete them');
});

test('layout_no_runtime_import_cycles', (t) => {
  const found = cycles(files, edges).map((c) => c.slice().sort().join(' ↔ '));
  const fresh = found.filter((c) => !(c in ALLOWED_CYCLES));
  const stale = Object.keys(ALLOWED_CYCLES).filter((c) => !found.includes(c));
  t.diagnostic(`runtime import cycles: ${found.length} (allow-listed ${Object.keys(ALLOWED_CYCLES).length})${found.length ? `: ${found.join('; ')}` : ''}`);
  assert.deepEqual(fresh, [], 'runtime import cycles (move what both sides need into a third file)');
  assert.deepEqual(stale, [], 'allow-listed cycles that are gone: delete them');
});

/**
 * DESIGN §2: only src/store/ uses LMDB. No other file under src/ imports 'lmdb' (value or
 * type) or reaches the store's raw root environment (`store.root`): they get `tx(fn)` and
 * typed tables. What still does is listed with the branch that converts it; an entry that
 * no longer matches fails too (delete it). Tests and fixtures may open LMDB themselves.
 */
const LMDB_OUTSIDE_STORE: Record<string, string> = {};
const ROOT_OUTSIDE_STORE: Record<string, string> = {
};

/** Files under src/ but outside src/store/ that import lmdb, or that use `store.root`. */
function lmdbUsers(list: string[], read: (f: string) => string): { imports: string[]; root: string[] } {
  const imports: string[] = [];
  const root: string[] = [];
  for (const f of list) {
    if (!f.startsWith('src/') || f.startsWith('src/store/')) continue;
    const text = read(f);
    if (/^[ \t]*(import|export)\b[^;]*?['"]lmdb['"]/m.test(text) || /\bimport\(\s*['"]lmdb['"]\s*\)/.test(text)) imports.push(f);
    if (/\bstore\.root\b/.test(text)) root.push(f);
  }
  return { imports, root };
}

test('layout_no_file_outside_src_store_imports_lmdb_or_uses_the_raw_root', (t) => {
  const found = lmdbUsers(files, (f) => readFileSync(join(ROOT, f), 'utf8'));
  t.diagnostic(`outside src/store/: ${found.imports.length} file(s) import lmdb (allow-listed ${Object.keys(LMDB_OUTSIDE_STORE).length}), ${found.root.length} use store.root (allow-listed ${Object.keys(ROOT_OUTSIDE_STORE).length})`);
  assert.deepEqual(found.imports.filter((f) => !(f in LMDB_OUTSIDE_STORE)), [], 'only src/store/ may import lmdb: use a typed table');
  assert.deepEqual(Object.keys(LMDB_OUTSIDE_STORE).filter((f) => !found.imports.includes(f)), [], 'allow-listed lmdb imports that are gone: delete them');
  assert.deepEqual(found.root.filter((f) => !(f in ROOT_OUTSIDE_STORE)), [], 'use store.tx(fn) (or a named query), not store.root');
  assert.deepEqual(Object.keys(ROOT_OUTSIDE_STORE).filter((f) => !found.root.includes(f)), [], 'allow-listed store.root users that are gone: delete them');
  // the checker itself, on made-up files
  const fake: Record<string, string> = {
    'src/audit/a.ts': "import type { Database } from 'lmdb';",
    'src/audit/b.ts': "import {\n  open,\n} from 'lmdb';",
    'src/audit/c.ts': "await deps.store.root.transaction(() => 1);",
    'src/audit/d.ts': "const r = cp.root; // 'lmdb' in a comment",
    'src/store/e.ts': "import { open } from 'lmdb';",
  };
  assert.deepEqual(lmdbUsers(Object.keys(fake), (f) => fake[f]!), { imports: ['src/audit/a.ts', 'src/audit/b.ts'], root: ['src/audit/c.ts'] });
});

test('layout_the_checker_reads_type_only_imports_and_finds_cycles_and_forbidden_edges', () => {
  // on made-up files, so that the checks above can be trusted to fail when they should
  const text = [
    "import type { A } from './a.ts';",
    "import { type B, type C } from './b.ts';",
    "import { type D, e } from './c.ts';",
    "export { f } from './d.ts';",
    "import {",
    "  g,",
    "} from './e.ts';",
    "const h = await import('./f.ts');",
    "let i: import('./g.ts').I;",
    "import x from 'node:fs';",
  ].join('\n');
  const got = importsOf('src/ingest/x.ts', text).map((e) => `${e.to}${e.typeOnly ? ' (types)' : ''}`);
  assert.deepEqual(got, [
    'src/ingest/a.ts (types)', 'src/ingest/b.ts (types)', 'src/ingest/c.ts', 'src/ingest/d.ts', 'src/ingest/e.ts', 'src/ingest/f.ts', 'src/ingest/g.ts (types)',
  ]);
  const e = (from: string, to: string, typeOnly = false): Import => ({ from, to, typeOnly, line: 1 });
  assert.deepEqual(cycles(['a', 'b', 'c'], [e('a', 'b'), e('b', 'a'), e('b', 'c'), e('c', 'a', true)]), [['a', 'b']]);
  assert.deepEqual(cycles(['a', 'b'], [e('a', 'b'), e('b', 'a', true)]), [], 'a type-only import closes no cycle');
  assert.equal(forbidden('views', 'core', true), null);
  assert.match(forbidden('views', 'core', false)!, /core types only/);
  assert.match(forbidden('core', 'config', true)!, /core may import nothing/);
  assert.equal(forbidden('access', 'approvals', false), null);
  assert.match(forbidden('access', 'ingest', false)!, /layers above/);
  assert.equal(forbidden('web', 'views', false), null);
  assert.match(forbidden('cli', 'web', true)!, /everything but web/);
  assert.equal(moduleOf('src/store/store.ts'), 'store', 'src/index is the store until the rename');
});
