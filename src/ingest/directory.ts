// The extension directory (issue 15, item 4): FreePBX names say "extension 201 took the
// call", not who sits at 201. The directory names the agent at ingest when neither the
// file name nor the sidecar did. Entries come from the settings (`directory.extensions`)
// and from the console (Admin → Extensions); a console entry wins. Console entries are
// sealed (keyring.sealSecret, context `extension:<ext>`): a copy of data.mdb holds no
// names; the log names the extension, never the name (DESIGN §3).
import { TresorError } from '../core/errors.ts';
import { MAX_EXTENSION_DIGITS } from '../core/phone.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore } from '../store/index.ts';

export interface DirectorySealer {
  sealSecret(context: string, plain: string): string;
  openSecret(context: string, sealed: string): string;
}

export interface DirectoryDeps {
  store: IndexStore;
  secrets: DirectorySealer;
  /** `directory.extensions` of the settings */
  configured: Record<string, string>;
}

export interface DirectoryEntry {
  extension: string;
  name: string;
  /** console: sealed in the index (editable); config: the settings file */
  source: 'console' | 'config';
  updatedAt: number | null;
  updatedBy: string | null;
}

export const MAX_AGENT_NAME = 200;
const EXTENSION = new RegExp(`^\\d{1,${MAX_EXTENSION_DIGITS}}$`);
const context = (ext: string) => `extension:${ext}`;

/** The agent at an extension, or undefined. */
export function agentOfExtension(d: DirectoryDeps, extension: string): string | undefined {
  const row = d.store.extensions.get(extension);
  if (row) return d.secrets.openSecret(context(extension), row.name);
  const n = d.configured[extension];
  return typeof n === 'string' && n.trim() ? n.normalize('NFC').trim() : undefined;
}

/** Every entry, console entries over configured ones, in extension order (numeric). */
export function listDirectory(d: DirectoryDeps): DirectoryEntry[] {
  const out = new Map<string, DirectoryEntry>();
  for (const [extension, name] of Object.entries(d.configured)) {
    out.set(extension, { extension, name: name.normalize('NFC').trim(), source: 'config', updatedAt: null, updatedBy: null });
  }
  for (const r of d.store.extensions.all()) {
    out.set(r.extension, { extension: r.extension, name: d.secrets.openSecret(context(r.extension), r.name), source: 'console', updatedAt: r.updatedAt, updatedBy: r.updatedBy });
  }
  return [...out.values()].sort((a, b) => Number(a.extension) - Number(b.extension) || a.extension.localeCompare(b.extension));
}

function checkExtension(extension: string): string {
  const e = extension.trim();
  if (!EXTENSION.test(e)) throw new TresorError('E_INVALID', `extension: 1 to ${MAX_EXTENSION_DIGITS} digits, as the PBX writes it (e.g. 201)`);
  return e;
}

/** Adds or changes an entry; logged with the extension only. */
export async function setExtension(d: DirectoryDeps, log: LogWriter, actor: string, extension: string, name: string): Promise<void> {
  const ext = checkExtension(extension);
  const n = name.normalize('NFC').trim();
  if (!n || n.length > MAX_AGENT_NAME) throw new TresorError('E_INVALID', `name: 1 to ${MAX_AGENT_NAME} characters`);
  const sealed = d.secrets.sealSecret(context(ext), n);
  await d.store.tx(() => {
    const had = d.store.extensions.get(ext) !== undefined;
    d.store.extensions.put({ v: 1, extension: ext, name: sealed, updatedAt: Date.now(), updatedBy: actor });
    log.appendSync([{ actor, action: had ? 'directory.extension.changed' : 'directory.extension.added', target: `extension:${ext}`, detail: {} }]);
  });
}

/** Removes a console entry (a configured one stays: it lives in the settings file). */
export async function removeExtension(d: DirectoryDeps, log: LogWriter, actor: string, extension: string): Promise<void> {
  const ext = checkExtension(extension);
  await d.store.tx(() => {
    if (!d.store.extensions.remove(ext)) {
      throw new TresorError('E_NOT_FOUND', d.configured[ext] !== undefined
        ? `extension ${ext} is set in the settings file (directory.extensions); change it there`
        : `no entry for extension ${ext}`);
    }
    log.appendSync([{ actor, action: 'directory.extension.removed', target: `extension:${ext}`, detail: {} }]);
  });
}
