// One ffmpeg process: argument list in (never a shell), recording on stdin, result on
// stdout, watched by two clocks, always reaped before we return or throw.
//
// Failure story: a hard time limit (timeoutMs) and a stall limit (stallMs without progress)
// both end in SIGKILL; the promise settles only after the child's 'close' event, so no
// zombie and no orphan outlives a call. ffmpeg that exits before reading all of stdin
// (it found what it needed, or it failed) makes our writes fail with EPIPE: expected, ignored.

import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { TresorError, fromSystemError } from '../core/errors.ts';
import { createStderrParser, failureReason, type StderrState } from './stderr.ts';

export interface RunOptions {
  input: Buffer | Readable;
  /** hard limit for the whole run */
  timeoutMs: number;
  /** kill when neither output nor progress nor input consumption happened for this long */
  stallMs: number;
  /** keep every input byte (for 'original' storage of a streamed input) */
  keepInput?: boolean;
  signal?: AbortSignal;
  /**
   * Where stdout goes instead of being collected (RunResult.stdout is then empty): written
   * with backpressure, so a slow reader slows ffmpeg down rather than filling memory.
   * Not ended here: the caller ends it once the run resolved.
   */
  stdout?: NodeJS.WritableStream;
  /** called with the child's pid right after spawn (tests use it to prove the child is gone) */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  stdout: Buffer;
  stderr: StderrState;
  inputBytes: number;
  /** the first HEAD_BYTES of the input, for header checks on streamed input */
  inputHead: Buffer;
  /** all input when keepInput was set, else null */
  input: Buffer | null;
}

export const HEAD_BYTES = 64 * 1024;

// ffmpeg honours FFREPORT (writes a log file with the command line into the cwd) and
// AV_LOG_FORCE_COLOR (escape codes in stderr); it needs nothing else from our environment.
function childEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
}

export function runFfmpeg(ffmpegPath: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv(), shell: false, windowsHide: true });
    const parser = createStderrParser();
    const out: Buffer[] = [];
    const kept: Buffer[] = [];
    let head: Buffer = Buffer.alloc(0);
    let inputBytes = 0;
    let failure: TresorError | null = null;
    const stream = opts.input instanceof Readable ? opts.input : null;

    const stop = (err: TresorError): void => {
      failure ??= err;
      child.kill('SIGKILL');
      // a stdout paused for a slow reader holds back 'close': drain it (the data is dropped)
      child.stdout.resume();
      // ends our pump; the stream is single-use and its file handle must be released
      stream?.destroy();
    };
    const hardTimer = setTimeout(() => stop(timeoutError('timeout', opts.timeoutMs, child.pid, parser.state)), opts.timeoutMs);
    const stallTimer = setTimeout(() => stop(timeoutError('stall', opts.stallMs, child.pid, parser.state)), opts.stallMs);
    const alive = (): void => void stallTimer.refresh();
    const onAbort = (): void => stop(new TresorError('E_FFMPEG_TIMEOUT', 'ffmpeg run aborted (shutting down)', { retryable: true, detail: { reason: 'aborted' } }));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('spawn', () => child.pid !== undefined && opts.onSpawn?.(child.pid));
    child.on('error', (e: NodeJS.ErrnoException) => {
      // spawn failures (ENOENT, EACCES); 'close' still follows
      failure ??= new TresorError('E_FFMPEG_MISSING', `cannot start ffmpeg at ${ffmpegPath}: ${e.code ?? e.message}`, { cause: e });
    });
    child.stdout.on('data', (b: Buffer) => {
      alive();
      if (!opts.stdout) return void out.push(b);
      if (failure) return; // stopped: the reader is gone or no longer wanted
      if (!opts.stdout.write(b)) {
        child.stdout.pause();
        opts.stdout.once('drain', () => child.stdout.resume());
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => parser.push(s) && alive());
    // EPIPE/ECONNRESET when ffmpeg stops reading early; the exit code tells what happened
    child.stdin.on('error', () => {});

    const pump = async (): Promise<void> => {
      if (!stream) {
        // A Buffer goes to ffmpeg in one write: libuv hands the pipe more as ffmpeg drains
        // it, with no per-chunk stream work or copies on the event loop (a Readable.from
        // wrapper cost ~0.3 s of CPU per benchmark run, taken from the transcodes).
        const buf = opts.input as Buffer;
        inputBytes = buf.length;
        head = buf.subarray(0, HEAD_BYTES);
        child.stdin.end(buf);
        return;
      }
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        alive(); // reads wait for the previous write, so a read means ffmpeg took input
        inputBytes += chunk.length;
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        if (opts.keepInput) kept.push(chunk);
        // ffmpeg done with stdin (it read what the header promised): we still count the
        // rest, for the truncation check and for 'original' storage
        if (child.stdin.destroyed || child.exitCode !== null) continue;
        await new Promise<void>((res) => child.stdin.write(chunk, () => res()));
      }
      child.stdin.end();
    };
    const pumped = pump().catch((e: unknown) => {
      // a destroyed source after stop() is ours; anything else is the input failing (EIO on a share)
      if (!failure) stop(fromSystemError(e, 'reading the recording'));
    });

    child.on('close', (code, signal) => {
      parser.end();
      if (!failure && code !== 0) failure = exitError(code, signal, parser.state, inputBytes);
      // a failed run needs no more input; a good one waits for the rest of it (the limits
      // still apply: a source that hangs after ffmpeg finished is a stall like any other)
      if (failure) stream?.destroy();
      void pumped.then(() => {
        clearTimeout(hardTimer);
        clearTimeout(stallTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        resolve({ stdout: Buffer.concat(out), stderr: parser.state, inputBytes, inputHead: head, input: opts.keepInput ? Buffer.concat(kept) : null });
      });
    });
  });
}

function timeoutError(reason: 'timeout' | 'stall', ms: number, pid: number | undefined, s: StderrState): TresorError {
  const what = reason === 'timeout' ? `ffmpeg ran longer than ${ms} ms` : `ffmpeg made no progress for ${ms} ms`;
  return new TresorError('E_FFMPEG_TIMEOUT', `${what}; killed`, {
    retryable: true,
    detail: { reason, limitMs: ms, pid, outTimeUs: s.outTimeUs, stderr: failureReason(s.lines) },
  });
}

// ffmpeg's words for "there is no audio here", as opposed to "this audio is broken"
const NO_AUDIO = /does not contain any stream|matches no streams|no 'data' tag found|Output file is empty/;

function exitError(code: number | null, signal: NodeJS.Signals | null, s: StderrState, inputBytes: number): TresorError {
  const reason = failureReason(s.lines);
  const last = reason.at(-1) ?? 'no message';
  const detail = { exitCode: code, signal, stderr: reason, inputBytes };
  if (reason.some((l) => NO_AUDIO.test(l))) return new TresorError('E_NO_AUDIO', `no audio stream could be read: ${last}`, { detail });
  const how = signal ? `was killed by ${signal}` : `exited with ${code}`;
  return new TresorError('E_DECODE_FAILED', `ffmpeg could not decode the recording (${how}): ${last}`, { detail });
}
