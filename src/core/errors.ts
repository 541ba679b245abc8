// Errors carry a stable code that the CLI, the console and quarantine reasons use;
// the message is for people and may change, the code may not.

export type ErrorCode =
  | 'E_CONFIG'
  | 'E_KEYS_MISSING'
  | 'E_KEYS_INVALID'
  | 'E_EMPTY_FILE'
  | 'E_TOO_LARGE'
  | 'E_UNSUPPORTED_FORMAT'
  | 'E_DECODE_FAILED'
  | 'E_NO_AUDIO'
  | 'E_TRUNCATED'
  /** the header's numbers cannot be a call (1 Hz, 138 hours in 1 MB): refused before ffmpeg */
  | 'E_BAD_HEADER'
  | 'E_FFMPEG_TIMEOUT'
  | 'E_FFMPEG_MISSING'
  | 'E_NOT_REGULAR_FILE'
  | 'E_SIDECAR_INVALID'
  | 'E_DISK_FULL'
  | 'E_IO'
  | 'E_READBACK_MISMATCH'
  | 'E_NOT_FOUND'
  | 'E_INTEGRITY'
  | 'E_CRYPTO'
  | 'E_LOG_INCONSISTENT'
  | 'E_USAGE'
  | 'E_NO_ARCHIVE'
  | 'E_INDEX_DAMAGED'
  | 'E_ROTATION_UNFINISHED'
  | 'E_FORBIDDEN'
  /** a bounded resource (download slots) is full; retryable, detail.retryAfterSeconds says when */
  | 'E_BUSY'
  | 'E_INTERNAL';

export class TresorError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown>;
  /** A retryable error is about the box (disk, time-out), not about the input. */
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { detail?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TresorError';
    this.code = code;
    this.detail = opts.detail ?? {};
    this.retryable = opts.retryable ?? false;
  }
}

export function isTresorError(e: unknown, code?: ErrorCode): e is TresorError {
  return e instanceof TresorError && (code === undefined || e.code === code);
}

/** Maps a Node system error to our codes, so ENOSPC reads as "disk full" everywhere. */
export function fromSystemError(e: unknown, what: string): TresorError {
  if (e instanceof TresorError) return e;
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new TresorError('E_DISK_FULL', `${what}: the disk is full (${errno})`, { retryable: true, cause: e });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new TresorError('E_IO', `${what}: ${msg}`, { retryable: true, cause: e, detail: { errno } });
}
