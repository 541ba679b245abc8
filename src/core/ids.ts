import { randomBytes } from 'node:crypto';

// Time-sortable ids (the ULID layout: 48-bit milliseconds, 80 random bits, Crockford
// base32), so LMDB keeps recordings in arrival order and ids never reveal a source name.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newId(now: number = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(16);
  let rest = '';
  for (let i = 0; i < 16; i++) rest += ALPHABET[rnd[i]! % 32];
  return time + rest;
}

const ID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export function isId(s: string): boolean {
  return ID_RE.test(s);
}

export function idTime(id: string): number {
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(id[i]!);
  return t;
}
