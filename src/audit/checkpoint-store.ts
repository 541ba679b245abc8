import { TresorError } from '../core/index.ts';
import { verifyNote, type Verifier } from '../crypto/signing.ts';
import type { IndexStore } from '../store/index.ts';
import { parseCheckpoint, type Checkpoint } from './checkpoint.ts';

/** A checkpoint as stored: the signed note and what it says. */
export interface SignedCheckpoint extends Checkpoint {
  note: string;
}

/** Opens a stored note: signature by our key, well-formed text. Throws E_LOG_INCONSISTENT. */
export function openStoredCheckpoint(note: string, key: Verifier, storedSize: number): SignedCheckpoint {
  const opened = verifyNote(note, key);
  if (!opened.ok) {
    throw new TresorError('E_LOG_INCONSISTENT', `stored checkpoint for size ${storedSize}: ${opened.reason}`);
  }
  const cp = parseCheckpoint(opened.text);
  if (cp.size !== storedSize) {
    throw new TresorError('E_LOG_INCONSISTENT', `stored checkpoint under key ${storedSize} says size ${cp.size}`);
  }
  return { ...cp, note };
}

export function latestStored(store: IndexStore): { size: number; note: string } | null {
  return store.checkpoints.latest();
}

export function recentStored(store: IndexStore, limit: number): { size: number; note: string }[] {
  return store.checkpoints.recent(limit);
}

/**
 * Adds witness cosignature lines to the stored note for `size` (after the log's own
 * signature line, as C2SP tlog-witness suggests: "concatenate it to the checkpoint").
 * The caller has verified each line against the note's body and a configured witness key.
 * Lines already there are skipped; returns how many were added.
 */
export async function storeCosignatures(store: IndexStore, size: number, lines: string[]): Promise<number> {
  const clean = lines.map((l) => (l.endsWith('\n') ? l : `${l}\n`));
  if (clean.some((l) => !l.startsWith('\u2014 ') || l.indexOf('\n') !== l.length - 1)) {
    throw new TresorError('E_INVALID', 'a cosignature is one note signature line');
  }
  let added = 0;
  await store.tx(() => {
    const note = store.checkpoints.get(size);
    if (note === undefined) throw new TresorError('E_NOT_FOUND', `no checkpoint for size ${size}`);
    const present = new Set(note.slice(note.lastIndexOf('\n\n') + 2).split('\n').map((l) => `${l}\n`));
    const fresh = clean.filter((l) => !present.has(l));
    added = fresh.length;
    if (added) store.checkpoints.put(size, note + fresh.join(''));
  });
  return added;
}
