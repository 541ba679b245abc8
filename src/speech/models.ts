// Model bundles imported by the site (issue 12, item 5): the box is offline, so a speech
// model is never downloaded; an admin copies a folder onto the box and imports it. Every
// file is hashed (SHA-256) while it is copied, so the hash names the bytes Tresor keeps,
// not what the source held a moment earlier; the bundle's hash — SHA-256 over the sorted
// "name hash" lines — names the folder (`<dataDir>/models/<hash>/`), and a finding names
// the model that produced it by this hash (which model spoke, provably).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readdirSync, lstatSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, lstat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { TresorError } from '../core/errors.ts';
import { fsyncDir, mkdirDurable } from '../core/durable.ts';
import type { LogWriter } from '../core/types.ts';

export type ModelLayout = 'sherpa-onnx-kws' | 'pocketsphinx';

/** The manifest kept beside the files (not part of the hash): what was imported, for `speech status`. */
export const MANIFEST = 'tresor-model.json';
const HEX64 = /^[0-9a-f]{64}$/;
/** a bundle of a keyword spotter is tens of MB; 4 GiB stops an import of the wrong folder */
const MAX_BYTES = 4 * 1024 ** 3;
const MAX_FILES = 10_000;

export interface ModelManifest {
  v: 1;
  sha256: string;
  layout: ModelLayout;
  files: { name: string; sha256: string; bytes: number }[];
  bytes: number;
  importedAt: string;
}

export const modelsDir = (dataDir: string) => join(dataDir, 'models');
export const modelDir = (dataDir: string, sha256: string) => {
  if (!HEX64.test(sha256)) throw new TresorError('E_INVALID', `a model is named by its bundle hash (64 hex digits), got ${JSON.stringify(sha256)}`);
  return join(modelsDir(dataDir), sha256);
};

/** The bundle hash: SHA-256 over the lines "name hash\n", sorted by name (names with "/" between folders). */
export function bundleHash(files: readonly { name: string; sha256: string }[]): string {
  const lines = files.map((f) => `${f.name} ${f.sha256}\n`).sort();
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** What a layout needs, by pattern on the names (base names; PocketSphinx's may sit one folder down). */
const NEEDS: Record<ModelLayout, { label: string; test(base: string): boolean }[]> = {
  'sherpa-onnx-kws': [
    { label: 'tokens.txt', test: (b) => b === 'tokens.txt' },
    { label: 'encoder*.onnx', test: (b) => /^encoder.*\.onnx$/.test(b) },
    { label: 'decoder*.onnx', test: (b) => /^decoder.*\.onnx$/.test(b) },
    { label: 'joiner*.onnx', test: (b) => /^joiner.*\.onnx$/.test(b) },
  ],
  pocketsphinx: [
    { label: 'mdef', test: (b) => b === 'mdef' },
    { label: 'means', test: (b) => b === 'means' },
    { label: 'variances', test: (b) => b === 'variances' },
    { label: 'transition_matrices', test: (b) => b === 'transition_matrices' },
    { label: '*.dict', test: (b) => b.endsWith('.dict') },
  ],
};

const base = (name: string) => name.split('/').pop()!;

/** Which layout the names make up, or for each layout what is missing. */
export function layoutOf(names: readonly string[]): { layout: ModelLayout } | { missing: Record<ModelLayout, string[]> } {
  const missing = {} as Record<ModelLayout, string[]>;
  for (const layout of Object.keys(NEEDS) as ModelLayout[]) {
    // sherpa's files sit at the top; PocketSphinx's acoustic model may be a sub-folder (Debian: en-us/en-us + cmudict-en-us.dict)
    const pool = layout === 'sherpa-onnx-kws' ? names.filter((n) => !n.includes('/')) : names;
    const m = NEEDS[layout].filter((need) => !pool.some((n) => need.test(base(n)))).map((need) => need.label);
    if (!m.length) return { layout };
    missing[layout] = m;
  }
  return { missing };
}

/** The files of `dir`, relative, with "/" between folders; refuses links and special files (an import copies what is there, never follows elsewhere). */
async function listFiles(dir: string): Promise<{ name: string; bytes: number }[]> {
  const out: { name: string; bytes: number }[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const name = relative(dir, p).split(sep).join('/');
      if (e.isSymbolicLink()) throw new TresorError('E_INVALID', `the model folder holds a symbolic link (${name}): copy the files themselves`);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push({ name, bytes: (await lstat(p)).size });
      else throw new TresorError('E_INVALID', `the model folder holds something that is not a file (${name})`);
      if (out.length > MAX_FILES) throw new TresorError('E_TOO_LARGE', `the model folder holds more than ${MAX_FILES} files: is it the right folder?`);
    }
  }
  await walk(dir);
  return out.filter((f) => f.name !== MANIFEST);
}

/** Copies one file, hashing the bytes as they are written; fsyncs the copy. */
async function copyHashed(from: string, to: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({ transform(chunk: Buffer, _e, cb) { h.update(chunk); bytes += chunk.length; cb(null, chunk); } });
  await pipeline(createReadStream(from), tap, createWriteStream(to, { flags: 'wx', mode: 0o600 }));
  const fh = await open(to, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { sha256: h.digest('hex'), bytes };
}

export interface ImportResult {
  sha256: string;
  layout: ModelLayout;
  files: number;
  bytes: number;
  /** the same bundle was already imported: nothing was copied */
  already: boolean;
}

/**
 * `tresor speech import-model DIR`: copies DIR into `<dataDir>/models/<bundle hash>/`
 * through a temporary folder that is renamed into place once every file is copied and
 * fsynced (a crash leaves a `.import-*` folder nothing reads, never half a model), then
 * logs `speech.model.imported` with hash, layout, file count and bytes — no path of the
 * admin's machine and no file names (they could name a person's home folder).
 */
export async function importModel(dataDir: string, log: LogWriter, actor: string, src: string): Promise<ImportResult> {
  if (!existsSync(src) || !lstatSync(src).isDirectory()) throw new TresorError('E_NOT_FOUND', `${src} is not a folder`);
  const listed = await listFiles(src);
  const layout = layoutOf(listed.map((f) => f.name));
  if ('missing' in layout) {
    const m = layout.missing;
    throw new TresorError('E_INVALID', 'not a model folder Tresor can use: ' +
      `a sherpa-onnx keyword spotter needs ${m['sherpa-onnx-kws'].join(', ')} (missing); ` +
      `a PocketSphinx model needs ${m.pocketsphinx.join(', ')} (missing)`, { detail: { reason: 'missing-files', missing: m } });
  }
  const total = listed.reduce((s, f) => s + f.bytes, 0);
  if (total > MAX_BYTES) throw new TresorError('E_TOO_LARGE', `the model folder holds ${total} bytes (more than ${MAX_BYTES}): is it the right folder?`);
  const root = modelsDir(dataDir);
  await mkdirDurable(root);
  const tmp = join(root, `.import-${process.pid}-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp, { mode: 0o700 });
  try {
    const files: ModelManifest['files'] = [];
    const dirs = new Set<string>();
    for (const f of listed.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const parts = f.name.split('/');
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join('/');
        if (!dirs.has(d)) {
          await mkdir(join(tmp, d), { mode: 0o700 });
          dirs.add(d);
        }
      }
      const c = await copyHashed(join(src, f.name), join(tmp, f.name));
      files.push({ name: f.name, sha256: c.sha256, bytes: c.bytes });
    }
    for (const d of [...dirs].sort().reverse()) await fsyncDir(join(tmp, d));
    const sha256 = bundleHash(files);
    const bytes = files.reduce((s, f) => s + f.bytes, 0);
    const manifest: ModelManifest = { v: 1, sha256, layout: layout.layout, files, bytes, importedAt: new Date().toISOString() };
    const fh = await open(join(tmp, MANIFEST), 'wx', 0o600);
    try {
      await fh.writeFile(JSON.stringify(manifest, null, 2) + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(tmp);
    const dest = modelDir(dataDir, sha256);
    const already = existsSync(dest);
    if (already) await rm(tmp, { recursive: true, force: true });
    else {
      await rename(tmp, dest);
      await fsyncDir(root);
    }
    await log.append([{ actor, action: 'speech.model.imported', target: `model:${sha256}`, detail: { sha256, layout: layout.layout, files: files.length, bytes, ...(already ? { already: true } : {}) } }]);
    return { sha256, layout: layout.layout, files: files.length, bytes, already };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface ModelCheck {
  sha256: string;
  /** null when the folder is there and every file still has its hash; else why not */
  problem: string | null;
  layout: ModelLayout | null;
  dir: string;
}

/** Re-hashes an imported bundle: a file changed or gone after the import is a model nobody can name any more. */
export function checkModel(dataDir: string, sha256: string): ModelCheck {
  const dir = modelDir(dataDir, sha256);
  const fail = (problem: string, layout: ModelLayout | null = null): ModelCheck => ({ sha256, problem, layout, dir });
  if (!existsSync(dir)) return fail(`no model ${sha256.slice(0, 16)}… is imported here (tresor speech import-model DIR)`);
  let m: ModelManifest;
  try {
    m = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as ModelManifest;
  } catch {
    return fail(`the model folder has no readable ${MANIFEST}: import the model again`);
  }
  const present = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else present.add(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  present.delete(MANIFEST);
  const files: { name: string; sha256: string }[] = [];
  for (const name of [...present].sort()) files.push({ name, sha256: createHash('sha256').update(readFileSync(join(dir, name))).digest('hex') });
  if (bundleHash(files) !== sha256) return fail('the model folder no longer matches its hash (a file was changed, added or removed after the import): import the model again', m.layout);
  return { sha256, problem: null, layout: m.layout, dir };
}

/** The imported bundles (their manifests), newest first. */
export function listModels(dataDir: string): ModelManifest[] {
  const root = modelsDir(dataDir);
  if (!existsSync(root)) return [];
  const out: ModelManifest[] = [];
  for (const name of readdirSync(root)) {
    if (!HEX64.test(name)) continue;
    try {
      out.push(JSON.parse(readFileSync(join(root, name, MANIFEST), 'utf8')) as ModelManifest);
    } catch {
      // a folder without a manifest is reported by checkModel when it is the one in use
    }
  }
  return out.sort((a, b) => (a.importedAt < b.importedAt ? 1 : -1));
}
