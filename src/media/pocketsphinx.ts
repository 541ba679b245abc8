// PocketSphinx keyword spotting (Debian `pocketsphinx` 0.8+5prealpha: the
// `pocketsphinx_continuous` binary, `-kws` list mode), spawned here because only media
// starts processes (DESIGN §2). The PCM goes through a private temporary file (this
// version reads `-infile` only, no stdin); the file is removed whatever happens.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './run.ts';

export const POCKETSPHINX = '/usr/bin/pocketsphinx_continuous';
export const EN_US_MODEL = { hmm: '/usr/share/pocketsphinx/model/en-us/en-us', dict: '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict' };

export interface KeywordHit {
  phrase: string;
  startMs: number;
  endMs: number;
  /** the decoder's posterior, 0..1 */
  confidence: number;
}

export function pocketsphinxAvailable(model: { hmm: string } = EN_US_MODEL): boolean {
  return existsSync(POCKETSPHINX) && existsSync(model.hmm);
}

/** Lines "phrase start end posterior" of `-time yes`; phrases as given (lower case). */
export function parseKwsOutput(text: string, phrases: readonly string[]): KeywordHit[] {
  const out: KeywordHit[] = [];
  for (const line of text.split('\n')) {
    const m = /^(.+?)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+([0-9.]+)\s*$/.exec(line.trim());
    if (!m || !phrases.includes(m[1]!.trim())) continue;
    out.push({ phrase: m[1]!.trim(), startMs: Math.round(Number(m[2]) * 1000), endMs: Math.round(Number(m[3]) * 1000), confidence: Number(m[4]) });
  }
  return out;
}

/** Keyword spotting over 16 kHz s16le mono PCM; `threshold` per phrase (e.g. 1e-10 for a phrase, 1e-3 for one word). */
export async function spotKeywords(pcm16k: Buffer, phrases: readonly { phrase: string; threshold: number }[], timeoutMs = 60_000, model: { hmm: string; dict: string } = EN_US_MODEL): Promise<KeywordHit[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tresor-kws-'));
  try {
    const raw = join(dir, 'window.raw');
    const kws = join(dir, 'keywords.list');
    await writeFile(raw, pcm16k, { mode: 0o600 });
    const names = phrases.map((p) => p.phrase.toLowerCase().replace(/[^a-z' ]+/g, ' ').trim());
    await writeFile(kws, names.map((n, i) => `${n} /${phrases[i]!.threshold.toExponential()}/\n`).join(''), { mode: 0o600 });
    const text = await runCommand(POCKETSPHINX, ['-infile', raw, '-kws', kws, '-hmm', model.hmm, '-dict', model.dict, '-time', 'yes', '-logfn', '/dev/null'], { timeoutMs });
    return parseKwsOutput(text, names);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
