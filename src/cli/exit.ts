import { isTresorError, type ErrorCode } from '../core/errors.ts';

/**
 * Code → exit status of `tresor`, the only place that decides one (README: 0 ok, 1
 * failure, 2 usage). 2 says "call it differently": the command line, a value on it, or a
 * command that needs the archive to itself while the service runs; scripts retry or give
 * up on 1. A Record over every code: a new code without an exit status does not compile.
 */
export const EXIT_STATUS: Record<ErrorCode, 1 | 2> = {
  E_USAGE: 2,
  E_INVALID: 2,
  E_NEEDS_EXCLUSIVE: 2,
  E_EXISTS: 1,
  E_LAST_ADMIN: 1,
  E_LOCKED: 1,
  E_UNAUTHENTICATED: 1,
  E_FORBIDDEN: 1,
  E_FOUR_EYES: 1,
  E_REJECT_ONLY: 1,
  E_NOT_FOUND: 1,
  E_READ_ONLY: 1,
  E_CONFLICT: 1,
  E_EXPIRED: 1,
  E_ALREADY_DECIDED: 1,
  E_NEEDS_APPROVAL: 1,
  E_TOO_LARGE: 1,
  E_RANGE: 1,
  E_EMPTY_FILE: 1,
  E_UNSUPPORTED_FORMAT: 1,
  E_DECODE_FAILED: 1,
  E_NO_AUDIO: 1,
  E_TRUNCATED: 1,
  E_BAD_HEADER: 1,
  E_NOT_REGULAR_FILE: 1,
  E_SIDECAR_INVALID: 1,
  E_FFMPEG_TIMEOUT: 1,
  E_FFMPEG_MISSING: 1,
  E_BUSY: 1,
  E_DISK_FULL: 1,
  E_CONFIG: 1,
  E_KEYS_MISSING: 1,
  E_KEYS_INVALID: 1,
  E_IO: 1,
  E_READBACK_MISMATCH: 1,
  E_INTEGRITY: 1,
  E_CRYPTO: 1,
  E_LOG_INCONSISTENT: 1,
  E_NO_ARCHIVE: 1,
  E_INDEX_DAMAGED: 1,
  E_ROTATION_UNFINISHED: 1,
  E_INTERNAL: 1,
};

/** The exit status for an error a command threw (anything but a TresorError is a defect: 1). */
export const exitStatusOf = (e: unknown): 1 | 2 => (isTresorError(e) ? EXIT_STATUS[e.code] : 1);

/** The line the CLI prints for an error: `tresor: CODE: message` (English). */
export const errorLine = (e: { code: ErrorCode; message: string }, prefix = 'tresor'): string => `${prefix}: ${e.code}: ${e.message}`;
