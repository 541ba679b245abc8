import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { TresorError } from '../core/errors.ts';

/**
 * scrypt with OWASP's parameters (N=2^17, r=8, p=1; DESIGN §6). One hash takes about
 * 0.6 s and 128 MiB here, so hashes run one at a time: ten parallel login attempts must
 * not take 1.3 GB of memory or starve ingest of both cores.
 *
 * Stored as `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`, so parameters can rise later
 * and old hashes still verify.
 */
const LOG2N = 17;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 256 * 1024 * 1024;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

let chain: Promise<unknown> = Promise.resolve();
function serial<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(fn, fn);
  chain = run.catch(() => undefined);
  return run;
}

function derive(password: string, salt: Buffer, log2n: number, r: number, p: number): Promise<Buffer> {
  return serial(() => new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEYLEN, { N: 2 ** log2n, r, p, maxmem: MAXMEM }, (e, key) => (e ? reject(e) : resolve(key)));
  }));
}

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `a password may have at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

export async function hashPassword(password: string): Promise<string> {
  const problem = passwordProblem(password);
  if (problem) throw new TresorError('E_INVALID', problem);
  const salt = randomBytes(16);
  const key = await derive(password, salt, LOG2N, R, P);
  return ['scrypt', LOG2N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const want = Buffer.from(hash, 'base64');
  const got = await derive(password, Buffer.from(salt, 'base64'), Number(n), Number(r), Number(p));
  return got.length === want.length && timingSafeEqual(got, want);
}

/** A hash that verifies nothing, computed once: failed logins for unknown users cost the same time. */
let dummy: Promise<string> | null = null;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(18).toString('base64'));
  return dummy;
}
