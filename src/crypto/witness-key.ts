import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync, fsyncSync } from 'node:fs';
import { hostname } from 'node:os';
import { TresorError } from '../core/errors.ts';
import { createCosigner, type Cosigner } from './cosigner.ts';

/**
 * The witness's own Ed25519 key, in a file of its own: {"name", "seed" (base64)}, mode 0600,
 * created on first use. It never touches a Tresor archive: the witness runs elsewhere
 * (the DPO's machine, the works council's, a second box) and must not share keys with the log.
 */
export function loadOrCreateWitnessKey(path: string, name?: string): { cosigner: Cosigner; created: boolean } {
  let created = false;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const n = name ?? defaultName();
    createCosigner(n, new Uint8Array(32)); // validates the name before a file is written
    const fd = openSync(path, 'wx', 0o600);
    text = `${JSON.stringify({ name: n, seed: randomBytes(32).toString('base64') })}\n`;
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    created = true;
  }
  let o: { name?: unknown; seed?: unknown };
  try {
    o = JSON.parse(text) as typeof o;
  } catch {
    throw new TresorError('E_KEYS_INVALID', `witness key ${path} is not JSON`);
  }
  if (typeof o.name !== 'string' || typeof o.seed !== 'string') throw new TresorError('E_KEYS_INVALID', `witness key ${path} needs "name" and "seed"`);
  if (name !== undefined && name !== o.name) throw new TresorError('E_KEYS_INVALID', `witness key ${path} is named ${o.name}, not ${name}`);
  return { cosigner: createCosigner(o.name, new Uint8Array(Buffer.from(o.seed, 'base64'))), created };
}

function defaultName(): string {
  return `${hostname().replace(/[^A-Za-z0-9.-]/g, '-') || 'localhost'}/tresor-witness`;
}
