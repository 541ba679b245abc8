import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removePlaintextCopies } from './durable.ts';
import type { LogWriter } from './types.ts';

/**
 * Where decrypted copies of calls live in the data directory: released access packages
 * (GDPR Art. 15) as `<dataDir>/reports/package-<request id>/` with their audio under
 * `calls/<recording id>.<ext>`, and their ZIP `<dataDir>/reports/package-<request id>.zip`.
 * Crypto-shredding does not reach them: destroying a call's data key makes the sealed
 * archive record unreadable, but these files are plaintext (or a ZIP whose password the
 * subject holds) and need no key. So they are removed as files (src/core/durable.ts
 * removePlaintextCopies) when their purpose ends: the package was delivered, the request
 * closed, or a call in it was erased. Here only the layout, so the purge (which may not
 * import the privacy workbench) finds the copies of the calls it erases.
 */

export const packageDir = (dataDir: string, requestId: string) => join(dataDir, 'reports', `package-${requestId}`);
export const packageZipPath = (dataDir: string, requestId: string) => join(dataDir, 'reports', `package-${requestId}.zip`);

const PACKAGE = /^package-([0-9A-Z]{26})(\.zip)?$/;

/** request ids with a package folder or ZIP in the data directory */
export function packageCopies(dataDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(join(dataDir, 'reports'));
  } catch {
    return [];
  }
  return [...new Set(names.map((n) => PACKAGE.exec(n)?.[1]).filter((x): x is string => !!x))].sort();
}

/** request ids whose package folder holds audio of one of `recordingIds` */
export function packagesHolding(dataDir: string, recordingIds: readonly string[], released: (requestId: string) => readonly string[] | null = () => null): string[] {
  const want = new Set(recordingIds);
  return packageCopies(dataDir).filter((req) => {
    // the release row names its calls when the folder is gone already (only the ZIP is left)
    const named = released(req);
    if (named?.some((id) => want.has(id))) return true;
    try {
      return readdirSync(join(packageDir(dataDir, req), 'calls')).some((n) => want.has(n.replace(/\..*$/, '')));
    } catch {
      return false;
    }
  });
}

export type CopyRemoval = 'delivered' | 'downloaded' | 'closed' | 'erasure';

/**
 * Removes the plaintext copies of one request's package: its folder, and with `zip` the
 * ZIP too (overwritten, unlinked, folders fsynced), then logs `request.package.removed`
 * with the request id, why and how many files — ids and counts only. Nothing there: no entry.
 */
export async function removePackageCopies(
  log: LogWriter, by: string, dataDir: string, requestId: string, o: { reason: CopyRemoval; zip: boolean; calls?: number },
): Promise<{ files: number; zip: boolean } | null> {
  const files = await removePlaintextCopies(packageDir(dataDir, requestId));
  const zip = o.zip && existsSync(packageZipPath(dataDir, requestId)) ? (await removePlaintextCopies(packageZipPath(dataDir, requestId))) > 0 : false;
  if (!files && !zip) return null;
  await log.append([{ actor: by, action: 'request.package.removed', target: `request:${requestId}`, detail: { reason: o.reason, files, zip, ...(o.calls !== undefined ? { calls: o.calls } : {}) } }]);
  return { files, zip };
}
