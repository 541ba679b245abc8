// DTMF detection (ITU-T Q.23 frequencies, Q.24 acceptance ranges) on 16-bit mono PCM, by
// Goertzel filters: one per row/column tone, evaluated over short blocks. Pure: samples in,
// digits with their offsets out; ffmpeg decodes the consent window (media/index.ts).
//
// Why these checks: G.711 coding and line noise smear energy, and speech has strong
// harmonics in the 700-1600 Hz band. A digit is accepted only when one row and one column
// tone each dominate their group (the second-strongest at least 8 dB weaker, no talk-off
// from a vowel's harmonic pair), together hold most of the block's energy, the twist is
// within Q.24's range (the column tone at most 4 dB below / 8 dB above the row tone), and
// it holds for at least 40 ms (Q.24: tones of 40 ms must be accepted; speech rarely keeps
// two exact pure tones that long).

const ROWS = [697, 770, 852, 941] as const;
const COLS = [1209, 1336, 1477, 1633] as const;
const KEYS = ['123A', '456B', '789C', '*0#D'] as const;

export interface DtmfDigit {
  digit: string;
  /** where the tone starts, in ms from the start of the analysed PCM */
  offsetMs: number;
  /** how long it was held, ms */
  durationMs: number;
}

export interface DtmfOptions {
  sampleRate: number;
  /** block length in ms (default 20: 160 samples at 8 kHz, Goertzel bins ~50 Hz apart) */
  blockMs?: number;
}

function goertzel(x: Float64Array, from: number, n: number, freq: number, rate: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = x[from + i]! + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

const DB8 = 10 ** (8 / 10);
const TWIST_REVERSE = 10 ** (4 / 10);
const TWIST_NORMAL = 10 ** (8 / 10);

/** The digit one block holds, or null. */
function blockDigit(x: Float64Array, from: number, n: number, rate: number): string | null {
  let energy = 0;
  for (let i = 0; i < n; i++) energy += x[from + i]! * x[from + i]!;
  // silence: under about -50 dBFS RMS
  if (energy / n < (32768 * 0.003) ** 2) return null;
  const r = ROWS.map((f) => goertzel(x, from, n, f, rate));
  const c = COLS.map((f) => goertzel(x, from, n, f, rate));
  const best = (p: number[]) => {
    let i = 0;
    for (let j = 1; j < p.length; j++) if (p[j]! > p[i]!) i = j;
    const second = Math.max(...p.filter((_, j) => j !== i));
    return { i, p: p[i]!, second };
  };
  const br = best(r);
  const bc = best(c);
  if (br.p < br.second * DB8 || bc.p < bc.second * DB8) return null;
  if (bc.p < br.p / TWIST_REVERSE || bc.p > br.p * TWIST_NORMAL) return null;
  // Goertzel power of a sine of amplitude A over n samples is about (A·n/2)²; the block's
  // energy of that sine is A²·n/2. The two tones must carry most of the energy (not speech).
  const toneEnergy = ((br.p + bc.p) * 2) / n;
  if (toneEnergy < energy * 0.6) return null;
  return KEYS[br.i]![bc.i]!;
}

/**
 * Every digit in `pcm` (16-bit little-endian mono), in order. A digit is reported once per
 * key press: it must be seen in at least one and a half blocks (≥ 30 ms of a 40 ms press), and a new
 * press needs a block without it in between.
 */
export function detectDtmf(pcm: Buffer, opts: DtmfOptions): DtmfDigit[] {
  const rate = opts.sampleRate;
  const n = Math.max(32, Math.round((rate * (opts.blockMs ?? 20)) / 1000));
  const count = Math.floor(pcm.length / 2);
  const x = new Float64Array(count);
  for (let i = 0; i < count; i++) x[i] = pcm.readInt16LE(i * 2);
  const out: DtmfDigit[] = [];
  type Run = { digit: string; start: number; blocks: number };
  let run = null as Run | null;
  const close = () => {
    const r = run as Run | null;
    if (r && r.blocks >= 1.5) out.push({ digit: r.digit, offsetMs: Math.round((r.start / rate) * 1000), durationMs: Math.round(((r.blocks * n) / rate) * 1000) });
    run = null;
  };
  // half-overlapping blocks: a 40 ms tone is always fully inside two of them
  const hop = Math.floor(n / 2);
  for (let at = 0; at + n <= count; at += hop) {
    const d = blockDigit(x, at, n, rate);
    if (d && run?.digit === d) run.blocks += 0.5;
    else {
      close();
      if (d) run = { digit: d, start: at, blocks: 1 };
    }
  }
  close();
  return out;
}

/** The first grant or deny digit, or null: what the consent evidence records. */
export function firstConsentDigit(digits: readonly DtmfDigit[], grant: string, deny: string): (DtmfDigit & { state: 'granted' | 'denied' }) | null {
  const d = digits.find((x) => x.digit === grant || x.digit === deny);
  return d ? { ...d, state: d.digit === grant ? 'granted' : 'denied' } : null;
}
