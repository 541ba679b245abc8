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
