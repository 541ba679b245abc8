// What scripts/tresor runs (issue 15, item 1: every command took 2–3.6 s to start because
// tsx transpiled the TypeScript on each start). Nothing built is committed and `npm ci`
// runs no install script: the first start bundles src/main.ts with esbuild (tsx's own
// compiler, a dependency of ours) into a compile cache under node_modules/.cache/tresor/,
// and later starts import that bundle (about node's own start-up time). The cache records
// every file that went into the bundle with its size and mtime; one differing, missing or
// added file (an added one is only reached through a changed importer) means rebuild, so a
// stale bundle is never run. Any failure to build or use the cache falls back to tsx,
// the way it always ran. One process either way: signals from systemd or npm reach the
// service itself. TRESOR_NO_BUNDLE=1 skips the cache (debugging the loader).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import module from 'node:module';

const ROOT = resolve(import.meta.dirname, '..');
const ENTRY = join(ROOT, 'src/main.ts');
// One cache per checkout and node version: worktrees may share one node_modules.
const KEY = createHash('sha256').update(`${ROOT}\0${process.version}`).digest('hex').slice(0, 16);
// Under systemd (ProtectSystem=strict: /opt/tresor/node_modules is read-only for the
// service) CacheDirectory= gives a directory of the service user's own, in $CACHE_DIRECTORY.
// Never a world-writable place such as /tmp: whoever can write the cache runs code as us.
const CACHE = join(process.env.CACHE_DIRECTORY?.split(':')[0] || join(ROOT, 'node_modules/.cache/tresor'), KEY);
const MANIFEST = join(CACHE, 'manifest.json');

/** Node 22.1+ also caches the compiled bytecode of the bundle; node 20 has no such call. */
try {
  module.enableCompileCache?.(join(CACHE, 'v8'));
} catch {}

const stamp = (file) => {
  const s = statSync(file);
  return `${s.size}:${s.mtimeMs}`;
};

/** The cached bundle's path if every input is unchanged, else null. */
function fresh() {
  let m;
  try {
    m = JSON.parse(readFileSync(MANIFEST, 'utf8'));
    for (const [file, st] of Object.entries(m.inputs)) if (stamp(join(ROOT, file)) !== st) return null;
    statSync(join(CACHE, m.bundle));
  } catch {
    return null;
  }
  return join(CACHE, m.bundle);
}

/**
 * A bundled copy does not live where its sources do: import.meta.url and .dirname (static
 * files, the verifier's sources, createRequire) are replaced with the original file's.
 */
const keepImportMeta = {
  name: 'keep-import-meta',
  setup(build) {
    build.onLoad({ filter: /\.(ts|tsx|js|mjs)$/ }, (args) => {
      if (args.path.includes('/node_modules/')) return undefined;
      const src = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents: src, loader: args.path.endsWith('x') ? 'tsx' : args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};

async function build() {
  const esbuild = await import('esbuild');
  const id = `${Date.now().toString(36)}-${process.pid}`;
  const out = join(CACHE, id);
  const r = await esbuild.build({
    entryPoints: { main: ENTRY },
    absWorkingDir: ROOT,
    bundle: true,
    // chunks per command (src/cli/table.ts imports each command's file on demand): `tresor
    // status` does not load the web console, PDF or ZIP code
    splitting: true,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external', // lmdb's native module, ffmpeg-static… load from node_modules as before
    sourcemap: 'linked',
    outdir: out,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [keepImportMeta],
  });
  // stamps taken after the build read the files: an edit during the build makes the next start rebuild
  const inputs = Object.fromEntries(Object.keys(r.metafile.inputs).map((f) => [f, stamp(join(ROOT, f))]));
  // write under a temporary name, then rename: a concurrent start sees the old or the new bundle, never half of one
  mkdirSync(`${out}.tmp`, { recursive: true });
  // packages stay bare imports ('lmdb'): a cache outside the checkout finds them through a link
  if (!CACHE.startsWith(join(ROOT, 'node_modules') + '/')) {
    try {
      symlinkSync(join(ROOT, 'node_modules'), join(CACHE, 'node_modules'));
    } catch (e) {
      if (e?.code !== 'EEXIST') throw e;
    }
  }
  for (const f of r.outputFiles) writeFileSync(join(`${out}.tmp`, f.path.slice(out.length + 1)), f.contents);
  renameSync(`${out}.tmp`, out);
  writeFileSync(`${MANIFEST}.${id}.tmp`, JSON.stringify({ bundle: `${id}/main.mjs`, inputs }));
  renameSync(`${MANIFEST}.${id}.tmp`, MANIFEST);
  // earlier bundles: gone once no start can still be about to import them
  for (const f of readdirSync(CACHE)) {
    if (f !== id && f !== 'manifest.json' && f !== 'v8' && f !== 'node_modules' && !f.startsWith('manifest.json.')) {
      try {
        if (Date.now() - statSync(join(CACHE, f)).mtimeMs > 60_000) rmSync(join(CACHE, f), { recursive: true, force: true });
      } catch {}
    }
  }
  return join(out, 'main.mjs');
}

let entry = null;
if (process.env.TRESOR_NO_BUNDLE !== '1') {
  try {
    entry = fresh() ?? (await build());
  } catch (e) {
    if (process.env.TRESOR_DEBUG_BUNDLE) process.stderr.write(`tresor: compile cache unusable, running through tsx: ${e?.stack ?? e}\n`);
    entry = null;
  }
}
if (entry) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(ENTRY).href);
}
