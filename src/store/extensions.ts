import type { Handles } from './handles.ts';

/**
 * One entry of the extension directory (issue 15, item 4): which agent an internal
 * extension belongs to, for PBXs whose file names carry only the extension (FreePBX).
 * The name is personal data of the agent: sealed by the keyring under the context
 * `extension:<ext>` (keyring.sealSecret), never in the clear in the index or the log.
 */
export interface ExtensionRow {
  v: 1;
  extension: string;
  /** sealed agent name (s1.…) */
  name: string;
  updatedAt: number;
  updatedBy: string;
}

/** `extensions`: extension → ExtensionRow. Writes belong inside store.tx. */
export class ExtensionsTable {
  readonly #db: Handles['extensions'];
  constructor(h: Handles) {
    this.#db = h.extensions;
  }

  get(extension: string): ExtensionRow | undefined {
    return this.#db.get(extension) as ExtensionRow | undefined;
  }

  /** Every entry, in extension order. */
  all(): ExtensionRow[] {
    return [...this.#db.getRange({})].map((e) => e.value as ExtensionRow);
  }

  put(row: ExtensionRow): void {
    void this.#db.put(row.extension, row);
  }

  remove(extension: string): boolean {
    if (!this.#db.doesExist(extension)) return false;
    void this.#db.remove(extension);
    return true;
  }
}
