// Generated DTMF key presses (ITU-T Q.23) in white noise, as 16-bit mono PCM at 8 kHz.
const RATE = 8000;
const TONES: Record<string, [number, number]> = { '1': [697, 1209], '2': [697, 1336], '5': [770, 1336], '9': [852, 1477], '#': [941, 1477] };

/** PCM of key presses at the given offsets (s), 80 ms each at -10 dBFS per tone, with white noise at 20 dB SNR. */
export function pressPcm(seconds: number, presses: { digit: string; at: number; ms?: number }[], seed = 1): Buffer {
  const n = Math.round(seconds * RATE);
  const x = new Float64Array(n);
  const amp = 0.3 * 32767;
  for (const p of presses) {
    const [f1, f2] = TONES[p.digit]!;
    const start = Math.round(p.at * RATE);
    const len = Math.round(((p.ms ?? 80) / 1000) * RATE);
    for (let i = 0; i < len && start + i < n; i++) x[start + i]! += amp * (Math.sin((2 * Math.PI * f1 * i) / RATE) + Math.sin((2 * Math.PI * f2 * i) / RATE));
  }
  // noise power 20 dB under one tone pair's power (amp² per tone pair: 2 · amp²/2)
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const noiseRms = Math.sqrt(amp * amp / 100);
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const v = x[i]! + noiseRms * Math.sqrt(3) * rnd();
    out.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(v))), i * 2);
  }
  return out;
}

