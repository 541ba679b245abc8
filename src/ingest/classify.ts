// What a failure of one ingest means: the box's fault (retry later) or the input's (keep
// it in quarantine). Stable codes from core/errors.ts; messages never carry a path.
import { TresorError, isTresorError } from '../core/errors.ts';

/**
 * Our error for anything that failed. An error with an errno is the box (disk, network
 * share): retryable, and its message keeps no path (paths carry phone numbers). One
 * without is this input hitting a limit or a bug (a 32,000-level sidecar overflowed the
 * stack and was once retried as "E_IO"): the same bytes would fail the same way, so it is
 * kept in quarantine instead.
 */
export function classify(e: unknown, what: string): TresorError {
  if (isTresorError(e)) return e;
  // lmdb-js's "Commit failed" (a commit not made through store.tx): the index, not the file
  if (e instanceof Error && 'commitError' in e) return new TresorError('E_IO', `${what}: the index commit failed`, { retryable: true, cause: e });
  const x = e as NodeJS.ErrnoException | null;
  if (typeof x?.code === 'string') {
    if (x.code === 'ENOSPC' || x.code === 'EDQUOT') {
      return new TresorError('E_DISK_FULL', `${what}: the disk is full (${x.code}); source left in the inbox`, { retryable: true, cause: e });
    }
    return new TresorError('E_IO', `${what}: ${x.code}${x.syscall ? ` (${x.syscall})` : ''}`, { retryable: true, cause: e, detail: { errno: x.code } });
  }
  return new TresorError('E_INTERNAL', `${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
