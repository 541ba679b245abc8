// Which ffmpeg binary Tresor runs. Order, first match wins:
//
//   1. explicit: TRESOR_FFMPEG or the config's `ffmpeg` (source 'config'). It must run; if it
//      does not, start-up fails with E_FFMPEG_MISSING. No silent fallback: an admin who
//      named a binary wants that one, and a fallback would hide a typo until a codec is missing.
//   2. `ffmpeg` on PATH (source 'system'): the distribution's build (Debian: ffmpeg 5.1 with
//      libopus), fastest here and patched by the OS.
//   3. the `ffmpeg-static` package (source 'ffmpeg-static'), when installed AND its binary
//      exists: it downloads the binary at install time, which fails offline, leaving a path
//      to nothing.
//   4. `@ffmpeg-installer/ffmpeg` (source 'ffmpeg-installer'): always installable offline,
//      but ffmpeg 4.1 and 2.4x slower (DESIGN §7), so last.
//
// Every candidate is checked by running `-version` and `-hide_banner -encoders`. Among
// automatic candidates one with libopus is preferred (Opus is the default store format);
// when none has it, the first that runs is taken and transcode refuses 'opus' by itself.

import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, isAbsolute, join } from 'node:path';
import { TresorError } from '../core/errors.ts';
import { runCommand } from './run.ts';

export type FfmpegSource = 'config' | 'system' | 'ffmpeg-static' | 'ffmpeg-installer';

export interface FfmpegInfo {
  path: string;
  source: FfmpegSource;
  /** as ffmpeg prints it: "5.1.9-0+deb12u1", "N-47683-g0e8eb07980-static" */
  version: string;
  hasLibopus: boolean;
  hasFlac: boolean;
}

export interface ResolveOptions {
  /** PATH to search for 'system'; default process.env.PATH (tests narrow it) */
  pathEnv?: string;
  /** time limit for each check run */
  checkTimeoutMs?: number;
}

const CHECK_TIMEOUT_MS = 10_000;

export async function resolveFfmpeg(explicit: string | null, opts: ResolveOptions = {}): Promise<FfmpegInfo> {
  const timeoutMs = opts.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
  if (explicit !== null && explicit.trim() !== '') {
    try {
      return await check(explicit, 'config', timeoutMs);
    } catch (e) {
      throw new TresorError('E_FFMPEG_MISSING', `the configured ffmpeg (TRESOR_FFMPEG / config "ffmpeg") "${explicit}" does not work: ${reason(e)}`, { cause: e });
    }
  }
  const tried: string[] = [];
  let fallback: FfmpegInfo | null = null;
  const candidates: Array<[FfmpegSource, () => string | null]> = [
    ['system', () => onPath('ffmpeg', opts.pathEnv ?? process.env.PATH ?? '')],
    ['ffmpeg-static', () => packageBinary('ffmpeg-static', (m) => (typeof m === 'string' ? m : null))],
    ['ffmpeg-installer', () => packageBinary('@ffmpeg-installer/ffmpeg', (m) => (m as { path?: unknown } | null)?.path)],
  ];
  for (const [source, find] of candidates) {
    const path = find();
    if (!path) {
      tried.push(`${source}: not found`);
      continue;
    }
    try {
      const info = await check(path, source, timeoutMs);
      if (info.hasLibopus) return info;
      fallback ??= info;
      tried.push(`${source}: ${path} has no libopus`);
    } catch (e) {
      tried.push(`${source}: ${path}: ${reason(e)}`);
    }
  }
  if (fallback) return fallback;
  throw new TresorError('E_FFMPEG_MISSING', `no working ffmpeg found (${tried.join('; ')}); install ffmpeg (Debian: apt install ffmpeg) or set TRESOR_FFMPEG`, { detail: { tried } });
}

async function check(path: string, source: FfmpegSource, timeoutMs: number): Promise<FfmpegInfo> {
  const version = /^ffmpeg version (\S+)/.exec(await exec(path, ['-version'], timeoutMs))?.[1];
  if (!version) throw new Error('is not ffmpeg (no "ffmpeg version" line)');
  const encoders = await exec(path, ['-hide_banner', '-encoders'], timeoutMs);
  // lines look like " A..... libopus              libopus Opus (codec opus)"
  const has = (name: string): boolean => new RegExp(`^\\s*A\\S*\\s+${name}\\s`, 'm').test(encoders);
  return { path, source, version, hasLibopus: has('libopus'), hasFlac: has('flac') };
}

// through run.ts, so a forking wrapper cannot hang the start either
function exec(file: string, args: string[], timeoutMs: number): Promise<string> {
  return runCommand(file, args, { timeoutMs });
}

/** Searches PATH ourselves, so the info names the absolute binary that every run will use. */
function onPath(name: string, pathEnv: string): string | null {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue; // a relative PATH entry would depend on the cwd
    const p = join(dir, name);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

/** Optional packages: absent, broken or pointing at a binary that was never downloaded → null. */
function packageBinary(pkg: string, pick: (mod: unknown) => unknown): string | null {
  try {
    const p = pick(createRequire(import.meta.url)(pkg));
    return typeof p === 'string' && isExecutableFile(p) ? p : null;
  } catch {
    // @ffmpeg-installer throws a plain string when its platform package is missing
    return null;
  }
}

function isExecutableFile(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function reason(e: unknown): string {
  const err = e as (NodeJS.ErrnoException & { killed?: boolean }) | undefined;
  if (err?.code === 'ENOENT') return 'no such file';
  if (err?.code === 'EACCES') return 'not executable';
  if (err?.killed) return 'did not answer in time';
  return err instanceof Error ? err.message.split('\n')[0]! : String(e);
}
