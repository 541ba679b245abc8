// Errors carry a stable code that the CLI, the console and quarantine reasons use;
// the message is for people and may change, the code may not.
//
// One code says one thing a caller can act on; `detail.reason` may add finer detail
// (own-request vs beneficiary) but nobody needs to branch on it. Every code has an HTTP
// status (src/web/errors.ts), a CLI exit code (src/cli/exit.ts) and a console label in
// German and English (views/error-labels.ts); test/errors.test.ts holds the four tables,
// and this one, to each other. The API answers {"error":{"code","message"}}; the CLI
// prints `tresor: CODE: message`. A 500 shows its code, never its message.
//
// | code                  | HTTP | exit | meaning                                                        |
// |-----------------------|------|------|----------------------------------------------------------------|
// | E_USAGE               | 400  | 2    | the command line is wrong (unknown option, missing argument)   |
// | E_INVALID             | 400  | 2    | a value is not acceptable; the message names the field         |
// | E_EXISTS              | 400  | 1    | the name is taken (a form error: choose another)               |
// | E_LAST_ADMIN          | 400  | 1    | the change would leave no enabled administrator                |
// | E_LOCKED              | 400  | 1    | a locked retention policy: keep may grow, never shrink or go   |
// | E_UNAUTHENTICATED     | 401  | 1    | not signed in (no session, no valid Bearer token)              |
// | E_FORBIDDEN           | 403  | 1    | your roles do not allow this, or the request is refused        |
// | E_FOUR_EYES           | 403  | 1    | your own request, or one about you: a second person decides    |
// | E_REJECT_ONLY         | 403  | 1    | from the configuration file: only a rejection is possible      |
// | E_NOT_FOUND           | 404  | 1    | no such thing (recording, user, request, endpoint…)            |
// | E_READ_ONLY           | 405  | 1    | the API changes nothing: use GET                               |
// | E_CONFLICT            | 409  | 1    | already requested, being worked on, or changed meanwhile       |
// | E_EXPIRED             | 409  | 1    | the four-eyes request expired: ask again                       |
// | E_ALREADY_DECIDED     | 409  | 1    | the four-eyes request was decided already                      |
// | E_NEEDS_APPROVAL      | 409  | 1    | makes calls due earlier: file a four-eyes request              |
// | E_NEEDS_EXCLUSIVE     | 409  | 2    | needs the archive to itself: stop the service first            |
// | E_TOO_LARGE           | 413  | 1    | over a size limit (file cap, request body)                     |
// | E_RANGE               | 416  | 1    | an HTTP Range outside the recording                            |
// | E_EMPTY_FILE          | 422  | 1    | quarantine reason: 0 bytes                                     |
// | E_UNSUPPORTED_FORMAT  | 422  | 1    | quarantine reason: not an audio format on the allow-list       |
// | E_DECODE_FAILED       | 422  | 1    | quarantine reason: ffmpeg could not decode it                  |
// | E_NO_AUDIO            | 422  | 1    | quarantine reason: no audio stream                             |
// | E_TRUNCATED           | 422  | 1    | quarantine reason: shorter than its header says                |
// | E_BAD_HEADER          | 422  | 1    | quarantine reason: the header's numbers cannot be a call       |
// | E_NOT_REGULAR_FILE    | 422  | 1    | quarantine reason: symlink, FIFO, device                       |
// | E_SIDECAR_INVALID     | 422  | 1    | quarantine reason: the metadata sidecar is invalid             |
// | E_FFMPEG_TIMEOUT      | 503  | 1    | ffmpeg hung or took too long (retryable)                       |
// | E_FFMPEG_MISSING      | 503  | 1    | no working ffmpeg (or no encoder)                              |
// | E_BUSY                | 503  | 1    | a bounded resource is full; Retry-After says when (retryable)  |
// | E_DISK_FULL           | 507  | 1    | the disk is full (retryable)                                   |
// | E_CONFIG              | 500  | 1    | a setting is invalid                                           |
// | E_KEYS_MISSING        | 500  | 1    | a key file is missing for an existing archive (fail closed)    |
// | E_KEYS_INVALID        | 500  | 1    | a key is malformed, readable by others, or not this archive's  |
// | E_IO                  | 500  | 1    | a file-system error (retryable)                                |
// | E_READBACK_MISMATCH   | 500  | 1    | what was written does not read back the same (retryable)       |
// | E_INTEGRITY           | 500  | 1    | stored bytes do not match the index hash                       |
// | E_CRYPTO              | 500  | 1    | an envelope or key does not open: tampered or wrong key        |
// | E_LOG_INCONSISTENT    | 500  | 1    | the access log disagrees with its tree or checkpoints          |
// | E_NO_ARCHIVE          | 500  | 1    | no archive where the settings point                            |
// | E_INDEX_DAMAGED       | 500  | 1    | the index file is cut short or lost next to its archive        |
// | E_ROTATION_UNFINISHED | 500  | 1    | a key rotation was interrupted: run it again                   |
// | E_INTERNAL            | 500  | 1    | a defect (anything that is not a TresorError counts as this)   |

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
  /** only for command-line usage; a bad value is E_INVALID */
  | 'E_USAGE'
  | 'E_INVALID'
  | 'E_EXISTS'
  | 'E_LAST_ADMIN'
  | 'E_LOCKED'
  | 'E_UNAUTHENTICATED'
  | 'E_FOUR_EYES'
  | 'E_REJECT_ONLY'
  | 'E_READ_ONLY'
  | 'E_CONFLICT'
  | 'E_EXPIRED'
  | 'E_ALREADY_DECIDED'
  | 'E_NEEDS_APPROVAL'
  | 'E_NEEDS_EXCLUSIVE'
  | 'E_RANGE'
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
