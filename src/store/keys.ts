import type { Handles } from './handles.ts';

/**
 * A data key (DEK) wrapped with the KEK of `epoch` (src/crypto/keyring.ts makes and opens
 * them; this file only stores them). Deleting it crypto-shreds what the DEK sealed.
 */
export interface WrappedDek {
  epoch: number;
  nonce: Uint8Array;
  box: Uint8Array;
}

/**
 * `keys`: recording id → WrappedDek, and `q:<quarantine id>` → the DEK of a quarantined
 * file (one table, so a KEK rotation rewraps both). Writes belong inside store.tx.
 */
export class KeysTable {
  readonly #db: Handles['keys'];
  constructor(h: Handles) {
    this.#db = h.keys;
  }

  get(id: string): WrappedDek | undefined {
    return this.#db.get(id) as WrappedDek | undefined;
  }

  has(id: string): boolean {
    return this.#db.doesExist(id);
  }

  put(id: string, w: WrappedDek): void {
    void this.#db.put(id, w);
  }

  /** Crypto-shreds what the key sealed (the purge, a discarded quarantine entry). */
  remove(id: string): void {
    void this.#db.remove(id);
  }

  /** Every key in id order, from `start` (inclusive) on: a KEK rotation walks these in batches. */
  *entries(o: { start?: string } = {}): Iterable<{ id: string; wrapped: WrappedDek }> {
    for (const { key, value } of this.#db.getRange(o.start === undefined ? {} : { start: o.start })) {
      yield { id: key as string, wrapped: value as WrappedDek };
    }
  }
}
