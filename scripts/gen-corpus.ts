#!/usr/bin/env -S npx tsx
// Generates a corpus of realistic call recordings, as a PBX would drop them, for
// benchmarks and manual tests:
//
//   tsx scripts/gen-corpus.ts --out DIR [--count 12] [--seed tresor]
//                             [--min-seconds 30] [--max-seconds 900] [--parallel 2]
//
// Each call is a dialogue: espeak-ng speaks generated agent and customer lines (two
// voices, German or English) with pauses, occasional overlap and music on hold; ffmpeg
// adds low pink noise per channel (lavfi anoisesrc), band-limits to the telephone band
// (300-3400 Hz) and writes 8 kHz WAV, G.711 µ-law or 16-bit PCM, mono (mixed) or stereo
// (agent left, customer right). Without espeak-ng, a synthetic voice (harmonic
// syllables with pitch glides) stands in.
//
// Names follow FreePBX (`<type>-<to>-<from>-YYYYMMDD-HHMMSS-<uniqueid>.wav` under
// `YYYY/MM/DD/`) and 3CX (`[<Name>]_<from>-<to>_<YYYYMMDDhhmmss>(<id>).wav` under
// `3cx/<extension>/`). Phone numbers come from the German ranges reserved for fiction
// (030 23125 xxx, 069 90009 xxx, 040 66969 xxx). File 0 is always ~180 s (the latency
// probe); the others are log-uniform between min and max. The same seed and the same
// tool versions give byte-identical files. Files appear atomically (written under a
// hidden name, then renamed), so generating straight into a watched inbox is safe.
// `DIR/.corpus.json` (hidden, so an ingester ignores it) lists what was written.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const RATE = 8000;

export interface CorpusOptions {
  out: string;
  /** number of recordings (default 12, ≈ 50 min of audio) */
  count?: number;
  seed?: string;
  minSeconds?: number;
  maxSeconds?: number;
  /** concurrent generator jobs (default: min(2, CPUs)) */
  parallel?: number;
  ffmpegPath?: string;
  /** espeak-ng binary; null forces the synthetic voice */
  espeakPath?: string | null;
  /** called after each file; the CLI prints progress to stderr */
  onProgress?: (done: number, total: number, file: CorpusFile) => void;
}

export interface CorpusFile {
  /** absolute path */
  path: string;
  /** path below `out`, with `/` separators */
  relPath: string;
  seconds: number;
  channels: 1 | 2;
  codec: 'pcm_mulaw' | 'pcm_s16le';
  naming: 'freepbx' | '3cx';
  language: 'de' | 'en';
  bytes: number;
}

export interface Corpus {
  files: CorpusFile[];
  totalSeconds: number;
  wallMs: number;
  voice: 'espeak-ng' | 'synthetic';
}

export async function generateCorpus(opts: CorpusOptions): Promise<Corpus> {
  const out = resolve(opts.out);
  const count = opts.count ?? 12;
  const seed = opts.seed ?? 'tresor';
  const minS = opts.minSeconds ?? 30;
  const maxS = opts.maxSeconds ?? 900;
  const parallel = Math.max(1, opts.parallel ?? Math.min(2, availableParallelism()));
  const ffmpeg = opts.ffmpegPath ?? process.env.TRESOR_FFMPEG ?? 'ffmpeg';
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer (got ${count})`);
  if (!(minS > 0 && maxS >= minS)) throw new Error(`need 0 < min-seconds <= max-seconds (got ${minS}, ${maxS})`);
  const espeak = opts.espeakPath === undefined ? ((await canRun('espeak-ng', ['--version'])) ? 'espeak-ng' : null) : opts.espeakPath;

  const t0 = performance.now();
  const pools = new Map<string, Promise<Int16Array[]>>();
  const lines = (voice: Voice, role: Role): Promise<Int16Array[]> => {
    const key = `${voice.id}/${role}`;
    let p = pools.get(key);
    if (!p) {
      p = espeak ? speakPool(espeak, ffmpeg, seed, voice, role) : Promise.resolve(synthPool(seed, voice, role));
      pools.set(key, p);
    }
    return p;
  };

  const plans = Array.from({ length: count }, (_, i) => planCall(seed, i, minS, maxS));
  const files: CorpusFile[] = new Array(count);
  let done = 0;
  await pool(plans, parallel, async (plan, i) => {
    const [agentLines, customerLines] = await Promise.all([lines(plan.agent, 'agent'), lines(plan.customer, 'customer')]);
    const pcm = renderDialogue(plan, agentLines, customerLines);
    const path = join(out, plan.relPath);
    mkdirSync(dirname(path), { recursive: true });
    const tmp = join(dirname(path), `.${plan.relPath.split('/').pop()}.part`);
    await encode(ffmpeg, plan, pcm, tmp);
    renameSync(tmp, path);
    const file: CorpusFile = {
      path, relPath: plan.relPath, seconds: plan.seconds, channels: plan.channels, codec: plan.codec,
      naming: plan.naming, language: plan.agent.lang, bytes: statSync(path).size,
    };
    files[i] = file;
    opts.onProgress?.(++done, count, file);
  });

  const totalSeconds = files.reduce((s, f) => s + f.seconds, 0);
  const corpus: Corpus = { files, totalSeconds, wallMs: performance.now() - t0, voice: espeak ? 'espeak-ng' : 'synthetic' };
  const manifest = { seed, count, minSeconds: minS, maxSeconds: maxS, voice: corpus.voice, totalSeconds, files: files.map(({ path: _p, ...f }) => f) };
  writeFileSync(join(out, '.corpus.json'), JSON.stringify(manifest, null, 2) + '\n');
  return corpus;
}

// ---------------------------------------------------------------------------------
// Deterministic randomness: every file and every voice pool has its own stream derived
// from (seed, label), so output does not depend on scheduling or --parallel.

type Rng = () => number;

function rngFor(...label: (string | number)[]): Rng {
  const h = createHash('sha256').update(label.join('\u0000')).digest();
  let a = h.readUInt32LE(0), b = h.readUInt32LE(4), c = h.readUInt32LE(8), d = h.readUInt32LE(12);
  return () => {
    // sfc32
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const between = (r: Rng, lo: number, hi: number): number => lo + r() * (hi - lo);
const int = (r: Rng, lo: number, hi: number): number => Math.floor(between(r, lo, hi + 1));
const digits = (r: Rng, n: number): string => Array.from({ length: n }, () => int(r, 0, 9)).join('');

// ---------------------------------------------------------------------------------
// What a call looks like

type Role = 'agent' | 'customer';
interface Voice { id: string; lang: 'de' | 'en'; espeak: string; female: boolean }

const VOICES: readonly Voice[] = [
  { id: 'de-f2', lang: 'de', espeak: 'de+f2', female: true },
  { id: 'de-m3', lang: 'de', espeak: 'de+m3', female: false },
  { id: 'de-f4', lang: 'de', espeak: 'de+f4', female: true },
  { id: 'de-m1', lang: 'de', espeak: 'de+m1', female: false },
  { id: 'en-f3', lang: 'en', espeak: 'en-gb+f3', female: true },
  { id: 'en-m2', lang: 'en', espeak: 'en-us+m2', female: false },
  { id: 'en-f1', lang: 'en', espeak: 'en-us+f1', female: true },
  { id: 'en-m7', lang: 'en', espeak: 'en-gb+m7', female: false },
];

interface CallPlan {
  index: number;
  seconds: number;
  channels: 1 | 2;
  codec: 'pcm_mulaw' | 'pcm_s16le';
  naming: 'freepbx' | '3cx';
  agent: Voice;
  customer: Voice;
  relPath: string;
  seed: string;
}

const FORMATS = [
  { channels: 1, codec: 'pcm_mulaw' }, // FreePBX default: mono G.711 WAV
  { channels: 2, codec: 'pcm_s16le' },
  { channels: 1, codec: 'pcm_s16le' },
  { channels: 2, codec: 'pcm_mulaw' },
] as const;

function planCall(seed: string, index: number, minS: number, maxS: number): CallPlan {
  const r = rngFor(seed, 'call', index);
  // File 0 is the latency probe (~180 s); the rest log-uniform, as call lengths are.
  const raw = index === 0 ? 180 : Math.exp(between(r, Math.log(minS), Math.log(maxS)));
  const seconds = Math.round(Math.min(maxS, Math.max(minS, raw)) * 10) / 10;
  const fmt = FORMATS[index % FORMATS.length]!;
  const naming = index % 5 === 2 ? '3cx' : 'freepbx';
  const lang = r() < 0.7 ? 'de' : 'en';
  const voices = VOICES.filter((v) => v.lang === lang);
  const agent = pick(r, voices);
  const customer = pick(r, voices.filter((v) => v !== agent));
  // Business hours over two weeks in March 2024; wall-clock fields as the PBX writes them.
  const when = new Date(Date.UTC(2024, 2, 4 + int(r, 0, 13), int(r, 8, 17), int(r, 0, 59), int(r, 0, 59)));
  const relPath = naming === 'freepbx' ? freepbxName(r, when, agent) : threeCxName(r, when, agent);
  return { index, seconds, channels: fmt.channels, codec: fmt.codec, naming, agent, customer, relPath, seed };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const ymd = (d: Date) => `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
const hms = (d: Date) => `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;

/** A fictitious German number (Bundesnetzagentur ranges for film/TV), written as PBXs do. */
function externalNumber(r: Rng): string {
  const [area, block] = pick(r, [['30', '23125'], ['69', '90009'], ['40', '66969']] as const);
  const sub = digits(r, 3);
  return pick(r, [`0${area}${block}${sub}`, `+49${area}${block}${sub}`, `0049${area}${block}${sub}`]);
}

function freepbxName(r: Rng, when: Date, _agent: Voice): string {
  const type = pick(r, ['in', 'in', 'in', 'out', 'q', 'external'] as const);
  const ext = String(int(r, 100, 149));
  const other = externalNumber(r);
  const did = `03023125${digits(r, 3)}`;
  const [to, from] = type === 'out' || type === 'external' ? [other, ext] : type === 'q' ? [String(int(r, 400, 409)), other] : [did, other];
  // Asterisk uniqueid: <epoch seconds>.<channel sequence>
  const uniqueid = `${Math.floor(when.getTime() / 1000)}.${int(r, 1, 9999)}`;
  const dir = `${when.getUTCFullYear()}/${pad(when.getUTCMonth() + 1)}/${pad(when.getUTCDate())}`;
  return `${dir}/${type}-${to}-${from}-${ymd(when)}-${hms(when)}-${uniqueid}.wav`;
}

function threeCxName(r: Rng, when: Date, agent: Voice): string {
  const first = pick(r, agent.female ? ['Anna', 'Maria', 'Lea', 'Sophie', 'Emma'] : ['Jonas', 'Paul', 'Lukas', 'Felix', 'Ben']);
  const last = pick(r, ['Beispiel', 'Muster', 'Probe', 'Testfall', 'Vorlage']);
  const ext = String(int(r, 100, 149));
  const other = externalNumber(r);
  const [from, to] = r() < 0.6 ? [other, ext] : [ext, other];
  return `3cx/${ext}/[${first} ${last}]_${from}-${to}_${ymd(when)}${hms(when)}(${int(r, 1, 99999)}).wav`;
}

// ---------------------------------------------------------------------------------
// What the voices say. Slots are filled from the pool's rng; nothing is a real person.

const TEXT = {
  de: {
    agent: [
      'Vielen Dank für Ihren Anruf bei der {co}, mein Name ist {name}, was kann ich für Sie tun?',
      'Können Sie mir bitte Ihre Kundennummer nennen?',
      'Einen Moment bitte, ich schaue das für Sie nach.',
      'Ich sehe hier Ihre Bestellung vom {day}. {month}.',
      'Die Lieferung ist für {weekday} geplant.',
      'Ich habe Ihre Adresse im System geändert.',
      'Der Betrag von {amount} Euro wird Ihnen in den nächsten Tagen erstattet.',
      'Das verstehe ich, das ist ärgerlich.',
      'Ihr Vertrag läuft noch bis Ende {monthName}.',
      'Ich schicke Ihnen eine Bestätigung per E-Mail.',
      'Darf ich Sie kurz in die Warteschleife legen?',
      'Vielen Dank für Ihre Geduld.',
      'Kann ich sonst noch etwas für Sie tun?',
      'Dann wünsche ich Ihnen einen schönen Tag, auf Wiederhören.',
      'Zur Sicherheit: Können Sie mir Ihr Geburtsdatum bestätigen?',
      'Ich leite das an die Fachabteilung weiter, Sie hören innerhalb von {n} Tagen von uns.',
    ],
    customer: [
      'Guten Tag, ich rufe wegen meiner Bestellung an.',
      'Ja, die Nummer ist {digits}.',
      'Das Paket ist immer noch nicht angekommen.',
      'Auf der Rechnung stehen {amount} Euro, das kann nicht stimmen.',
      'Wann kommt die Lieferung denn?',
      'Ich möchte meinen Vertrag kündigen.',
      'Können Sie das bitte noch einmal wiederholen?',
      'Nein, das war alles, vielen Dank.',
      'Ich bin unter {digits} erreichbar.',
      'Ja, genau, das ist richtig.',
      'Ich habe letzte Woche schon einmal angerufen.',
      'Okay, dann warte ich auf die E-Mail.',
      'Das ist jetzt schon das dritte Mal.',
      'Ach so, das wusste ich nicht.',
    ],
  },
  en: {
    agent: [
      'Thank you for calling {co}, my name is {name}, how can I help you today?',
      'Could you give me your customer number, please?',
      'Let me check that for you, one moment please.',
      'I can see your order from the {day}th of {monthName} here.',
      'The delivery is scheduled for {weekday}.',
      'I have updated your address in our system.',
      'The amount of {amount} euros will be refunded within a few days.',
      'I understand, that is frustrating.',
      'Your contract runs until the end of {monthName}.',
      'I will send you a confirmation by email.',
      'May I put you on hold for a moment?',
      'Thank you for your patience.',
      'Is there anything else I can help you with?',
      'Have a nice day, goodbye.',
      'For security, could you confirm your date of birth?',
      'I will pass this on to our billing team, you will hear from us within {n} days.',
    ],
    customer: [
      'Hello, I am calling about my order.',
      'Yes, it is {digits}.',
      'The parcel still has not arrived.',
      'The invoice says {amount} euros, that cannot be right.',
      'When will it be delivered?',
      'I would like to cancel my contract.',
      'Sorry, could you repeat that please?',
      'No, that is all, thank you.',
      'You can reach me on {digits}.',
      'Yes, exactly, that is correct.',
      'I already called last week about this.',
      'Okay, I will wait for the email then.',
      'This is the third time now.',
      'Oh, I did not know that.',
    ],
  },
} as const;

const MONTHS = {
  de: ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'],
  en: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
};
const WEEKDAYS = { de: ['Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag'], en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'] };

/** The lines one voice speaks in one role: each template once, then variants. */
function scriptFor(r: Rng, voice: Voice, role: Role, size = 24): string[] {
  const templates = TEXT[voice.lang][role];
  const fill = (t: string) =>
    t.replace(/\{(\w+)\}/g, (_, k: string) => {
      switch (k) {
        case 'co': return pick(r, ['Beispiel Versand', 'Muster Energie', 'Probe Telekom']);
        case 'name': return pick(r, voice.female ? ['Anna', 'Maria', 'Lea'] : ['Jonas', 'Paul', 'Lukas']);
        case 'digits': return digits(r, int(r, 6, 9)).split('').join(' ');
        case 'amount': return `${int(r, 9, 480)},${pad(int(r, 0, 99))}`.replace(',', voice.lang === 'de' ? ',' : '.');
        case 'day': return String(int(r, 1, 28));
        case 'month': return String(int(r, 1, 12));
        case 'monthName': return pick(r, MONTHS[voice.lang]);
        case 'weekday': return pick(r, WEEKDAYS[voice.lang]);
        case 'n': return String(int(r, 2, 5));
        default: return k;
      }
    });
  return Array.from({ length: size }, (_, i) => fill(i < templates.length ? templates[i]! : pick(r, templates)));
}

// ---------------------------------------------------------------------------------
// Voice pools: mono 8 kHz Int16 clips, trimmed, peak-normalised.

async function speakPool(espeak: string, ffmpeg: string, seed: string, voice: Voice, role: Role): Promise<Int16Array[]> {
  const r = rngFor(seed, 'pool', voice.id, role);
  const script = scriptFor(r, voice, role);
  // espeak-ng writes 22050 Hz; one ffmpeg run per pool resamples all clips, which are
  // laid end to end with 0.25 s of silence and cut apart again afterwards.
  const gap = new Int16Array(Math.round(22050 * 0.25));
  const parts: Int16Array[] = [];
  const starts: number[] = [];
  let at = 0;
  for (const text of script) {
    const wav = await run(espeak, ['--stdout', '-v', voice.espeak, '-s', String(int(r, 150, 180)), '-p', String(int(r, 35, 65)), text]);
    const clip = wavSamples(wav);
    starts.push(at);
    parts.push(clip, gap);
    at += clip.length + gap.length;
  }
  starts.push(at);
  const raw = await run(ffmpeg, ['-hide_banner', '-v', 'error', '-nostdin', '-f', 's16le', '-ar', '22050', '-ac', '1', '-i', 'pipe:0',
    '-ar', String(RATE), '-fflags', '+bitexact', '-f', 's16le', 'pipe:1'], concat(parts));
  const all = new Int16Array(raw.buffer, raw.byteOffset, raw.length >> 1);
  const clips: Int16Array[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const a = Math.round((starts[i]! * RATE) / 22050);
    const b = Math.min(all.length, Math.round((starts[i + 1]! * RATE) / 22050));
    clips.push(normalise(trim(all.slice(a, b))));
  }
  return clips;
}

/** Stand-in voice when espeak-ng is absent: syllables of a harmonic tone with formant-ish weights. */
function synthPool(seed: string, voice: Voice, role: Role): Int16Array[] {
  const r = rngFor(seed, 'synth', voice.id, role);
  const f0 = voice.female ? between(r, 180, 230) : between(r, 100, 135);
  return scriptFor(r, voice, role).map((text) => {
    const n = Math.round(text.length * 0.065 * RATE);
    const out = new Float32Array(n);
    let pos = 0;
    let phase = 0;
    while (pos < n) {
      const len = Math.min(n - pos, Math.round(between(r, 0.12, 0.28) * RATE));
      const weights = [1, between(r, 0.3, 0.9), between(r, 0.2, 0.8), between(r, 0.1, 0.5), between(r, 0.05, 0.3), between(r, 0.05, 0.2)];
      const glide = between(r, -0.15, 0.15);
      for (let i = 0; i < len; i++) {
        const f = f0 * (1 + glide * (i / len));
        phase += (2 * Math.PI * f) / RATE;
        let s = 0;
        for (let h = 0; h < weights.length; h++) s += weights[h]! * Math.sin((h + 1) * phase);
        out[pos + i] = s * Math.sin((Math.PI * i) / len) ** 2;
      }
      pos += len + Math.round(between(r, 0.01, 0.06) * RATE);
    }
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(out[i]! * 5000);
    return normalise(pcm);
  });
}

function trim(x: Int16Array, threshold = 300): Int16Array {
  let a = 0;
  let b = x.length;
  while (a < b && Math.abs(x[a]!) < threshold) a++;
  while (b > a && Math.abs(x[b - 1]!) < threshold) b--;
  return x.subarray(Math.max(0, a - 80), Math.min(x.length, b + 80));
}

function normalise(x: Int16Array, peak = 16000): Int16Array {
  let m = 1;
  for (const v of x) m = Math.max(m, Math.abs(v));
  const g = peak / m;
  return x.map((v) => Math.round(v * g));
}

// ---------------------------------------------------------------------------------
// Dialogue: alternating turns, pauses, some overlap, music on hold in longer calls.

function renderDialogue(plan: CallPlan, agentLines: Int16Array[], customerLines: Int16Array[]): Int16Array {
  const r = rngFor(plan.seed, 'dialogue', plan.index);
  const n = Math.round(plan.seconds * RATE);
  const agent = new Float32Array(n);
  const customer = new Float32Array(n);
  const gainA = between(r, 0.7, 1.0);
  const gainC = between(r, 0.45, 0.9); // the far end is usually quieter
  const put = (ch: Float32Array, clip: Int16Array, at: number, gain: number) => {
    for (let i = 0; i < clip.length && at + i < n; i++) ch[at + i]! += clip[i]! * gain;
  };
  let t = Math.round(between(r, 0.3, 1.5) * RATE);
  put(agent, agentLines[0]!, t, gainA); // the greeting
  t += agentLines[0]!.length;
  let holdDone = plan.seconds < 240;
  let speaker: Role = 'customer';
  while (t < n) {
    t += Math.round(between(r, -0.3, 1.2) * RATE); // turn gap; negative = barge-in
    t = Math.max(0, t);
    if (!holdDone && speaker === 'agent' && t > n * 0.3) {
      holdDone = true;
      t = hold(agent, r, t, n);
      continue;
    }
    const lines = speaker === 'agent' ? agentLines : customerLines;
    const turns = int(r, 1, 3);
    for (let k = 0; k < turns && t < n; k++) {
      const clip = pick(r, lines.slice(1)); // the greeting is said once
      put(speaker === 'agent' ? agent : customer, clip, t, speaker === 'agent' ? gainA : gainC);
      t += clip.length + Math.round(between(r, 0.15, 0.5) * RATE);
    }
    speaker = speaker === 'agent' ? 'customer' : 'agent';
  }
  fadeOut(agent);
  fadeOut(customer);
  const out = new Int16Array(plan.channels === 2 ? 2 * n : n);
  const clamp = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v)));
  for (let i = 0; i < n; i++) {
    if (plan.channels === 2) {
      out[2 * i] = clamp(agent[i]!);
      out[2 * i + 1] = clamp(customer[i]!);
    } else {
      out[i] = clamp(agent[i]! + customer[i]!);
    }
  }
  return out;
}

/** Music on hold: a few bars of a simple two-tone melody for 20-60 s on the agent channel. */
function hold(ch: Float32Array, r: Rng, at: number, n: number): number {
  const end = Math.min(n, at + Math.round(between(r, 20, 60) * RATE));
  const notes = [440, 494, 523, 587, 659, 587, 523, 494];
  const note = Math.round(0.4 * RATE);
  for (let i = at; i < end; i++) {
    const k = Math.floor((i - at) / note);
    const f = notes[k % notes.length]!;
    const env = Math.sin((Math.PI * ((i - at) % note)) / note);
    ch[i]! += 3000 * env * (Math.sin((2 * Math.PI * f * i) / RATE) + 0.5 * Math.sin((2 * Math.PI * f * 1.5 * i) / RATE));
  }
  return end;
}

function fadeOut(ch: Float32Array, seconds = 0.3): void {
  const len = Math.min(ch.length, Math.round(seconds * RATE));
  for (let i = 0; i < len; i++) ch[ch.length - 1 - i]! *= i / len;
}

/** Adds per-channel pink noise (separate seeds), band-limits, writes the WAV. */
async function encode(ffmpeg: string, plan: CallPlan, pcm: Int16Array, outPath: string): Promise<void> {
  const r = rngFor(plan.seed, 'noise', plan.index);
  const noise = (label: string) =>
    `anoisesrc=r=${RATE}:c=pink:a=${between(r, 0.004, 0.015).toFixed(4)}:s=${int(r, 1, 2 ** 31 - 2)}:d=${plan.seconds}[${label}]`;
  const band = 'highpass=f=300,lowpass=f=3400';
  const graph = plan.channels === 2
    ? `${noise('nl')};${noise('nr')};[nl][nr]amerge=inputs=2[n];[0:a][n]amerge=inputs=2,pan=stereo|c0=c0+c2|c1=c1+c3,${band}[out]`
    : `${noise('n')};[0:a][n]amerge=inputs=2,pan=mono|c0=c0+c1,${band}[out]`;
  await run(ffmpeg, [
    '-hide_banner', '-v', 'error', '-nostdin',
    '-f', 's16le', '-ar', String(RATE), '-ac', String(plan.channels), '-i', 'pipe:0',
    '-filter_complex', graph, '-map', '[out]',
    '-c:a', plan.codec, '-ar', String(RATE),
    // no encoder/version tags: same seed, same bytes
    '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact',
    '-f', 'wav', '-y', outPath,
  ], Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
}

// ---------------------------------------------------------------------------------
// Plumbing

function wavSamples(wav: Buffer): Int16Array {
  // espeak-ng --stdout writes a streaming WAV whose sizes may be 0x7fffffff: find the
  // data chunk and take everything after it.
  let p = 12;
  while (p + 8 <= wav.length) {
    const id = wav.toString('latin1', p, p + 4);
    const size = wav.readUInt32LE(p + 4);
    if (id === 'data') {
      const body = wav.subarray(p + 8, Math.min(wav.length, p + 8 + size));
      const copy = Buffer.from(body.subarray(0, body.length & ~1));
      return new Int16Array(copy.buffer, copy.byteOffset, copy.length >> 1);
    }
    p += 8 + size + (size & 1);
  }
  throw new Error('espeak-ng output has no data chunk');
}

function concat(xs: Int16Array[]): Buffer {
  return Buffer.concat(xs.map((x) => Buffer.from(x.buffer, x.byteOffset, x.byteLength)));
}

/** Runs a program (argument list, no shell), feeds stdin, returns stdout; rejects with stderr. */
function run(cmd: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => out.push(c));
    p.stderr.on('data', (c: Buffer) => err.push(c));
    p.on('error', reject);
    p.on('close', (code, signal) => {
      if (code === 0) resolvePromise(Buffer.concat(out));
      else reject(new Error(`${cmd} exited with ${code ?? signal}: ${Buffer.concat(err).toString().trim()}`));
    });
    p.stdin.on('error', () => {}); // a failing child closes stdin early; 'close' reports why
    p.stdin.end(input);
  });
}

async function canRun(cmd: string, args: string[]): Promise<boolean> {
  return run(cmd, args).then(() => true, () => false);
}

/** Runs fn over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

// ---------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      'min-seconds': { type: 'string' },
      'max-seconds': { type: 'string' },
      parallel: { type: 'string' },
      'no-espeak': { type: 'boolean' },
    },
  });
  if (!values.out) {
    process.stderr.write('usage: tsx scripts/gen-corpus.ts --out DIR [--count N] [--seed S] [--min-seconds 30] [--max-seconds 900] [--parallel N] [--no-espeak]\n');
    process.exit(2);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const corpus = await generateCorpus({
    out: values.out,
    count: num(values.count),
    seed: values.seed,
    minSeconds: num(values['min-seconds']),
    maxSeconds: num(values['max-seconds']),
    parallel: num(values.parallel),
    ...(values['no-espeak'] ? { espeakPath: null } : {}),
    onProgress: (done, total, f) =>
      process.stderr.write(`[${done}/${total}] ${f.relPath}  ${f.seconds.toFixed(1)} s  ${f.channels === 2 ? 'stereo' : 'mono'} ${f.codec}\n`),
  });
  const min = corpus.totalSeconds / 60;
  const wall = corpus.wallMs / 1000;
  process.stderr.write(
    `${corpus.files.length} files, ${min.toFixed(1)} min of audio (${corpus.voice}) in ${wall.toFixed(1)} s ` +
      `= ${(corpus.totalSeconds / wall).toFixed(0)}x real time\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`gen-corpus: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
