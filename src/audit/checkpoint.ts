import { TresorError } from '../core/index.ts';
import { decodeBase64Strict } from '../crypto/signing.ts';
import type { Hash } from './hasher.ts';

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the note text
 *   origin LF decimal-size LF base64(root) LF [extension lines]
 * We write exactly three lines; we accept extension lines when parsing, as the spec says.
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
}

export function formatCheckpoint(c: Checkpoint): string {
  if (c.origin === '' || /[\n\r]/.test(c.origin)) throw new TresorError('E_INVALID', 'checkpoint origin must be one non-empty line');
  if (!Number.isSafeInteger(c.size) || c.size < 0) throw new TresorError('E_INVALID', `bad checkpoint size ${c.size}`);
  return `${c.origin}\n${c.size}\n${Buffer.from(c.root).toString('base64')}\n`;
}

/** Parses checkpoint text; sizes above 2^53-1 are refused (we count in safe integers). */
export function parseCheckpoint(text: string): Checkpoint {
  const bad = (why: string) => new TresorError('E_INTEGRITY', `malformed checkpoint: ${why}`);
  const lines = text.split('\n');
  if (lines.length < 4) throw bad('fewer than three lines');
  const [origin, sizeText, rootText] = lines as [string, string, string];
  if (origin === '') throw bad('empty origin');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) throw bad('size is not a decimal number');
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw bad('size is too large');
  const root = decodeBase64Strict(rootText);
  if (!root || rootText === '') throw bad('root hash is not base64');
  return { origin, size, root };
}
