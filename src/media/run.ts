// One ffmpeg process: argument list in (never a shell), recording on stdin, result on
// stdout, watched by two clocks, always reaped before we return or throw.
//
// Failure story: a hard time limit (timeoutMs) and a stall limit (stallMs without progress)
// both end in SIGKILL of the child's whole process group (see spawnInGroup); the promise
// settles once the child has exited and its pipes are closed, or STDIO_GRACE_MS after the
// exit, so no zombie, no orphan and no stray holder of our pipes outlives a call. ffmpeg
// that exits before reading all of stdin (it found what it needed, or it failed) makes our
// writes fail with EPIPE: expected, ignored.

import { spawn, type ChildProcess } from 'node:child_process';
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

/**
 * After the child exited, how long its pipes may stay open. They stay open when something
 * outside its process group inherited them (a wrapper's helper that called setsid); we
 * stop waiting for that process, close our ends and go on. ffmpeg's own output is all in
 * the pipe by the time it exits, and this is ample time to read it.
 */
export const STDIO_GRACE_MS = 2000;

/**
 * Starts `file` as the leader of a new process group (detached: setsid on POSIX), so that
 * killGroup reaches everything it starts. Why: TRESOR_FFMPEG may be a wrapper script that
 * forks (`ffmpeg "$@" & wait`, a logger in a pipe); killing only the direct child left the
 * grandchild running with our stdout/stderr open, 'close' never came, the ingest never
 * settled and SIGTERM could not stop the service (issue 9, item 5).
 */
function spawnInGroup(file: string, args: string[]): ChildProcess & { stdin: NonNullable<ChildProcess['stdin']>; stdout: NonNullable<ChildProcess['stdout']>; stderr: NonNullable<ChildProcess['stderr']> } {
  return spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv(), shell: false, windowsHide: true, detached: true }) as never;
}

/** SIGKILL to the child's process group (the child and whatever it started and did not move out). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is empty already. The pgid cannot have been reused meanwhile: the
    // kernel does not hand out a pid while it still names a process group.
  }
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/**
 * Settles the run on 'exit', not only on 'close': at the exit the group's strays are
 * killed, and if the pipes are still open STDIO_GRACE_MS later (a holder outside the
 * group), our ends are destroyed, which lets 'close' fire.
 */
function closeAfterExit(child: ChildProcess): void {
  child.once('exit', () => {
    killGroup(child);
    const t = setTimeout(() => {
      child.stdin?.destroy();
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, STDIO_GRACE_MS);
    child.once('close', () => clearTimeout(t));
  });
}

/**
 * A short command (`ffmpeg -version`, `-encoders`) with the same process-group handling:
 * stdout as text, or an error with `code` (spawn failure), `killed` (time limit) or the
 * exit status.
 */
export function runCommand(file: string, args: string[], opts: { timeoutMs: number; maxBytes?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawnInGroup(file, args);
    const max = opts.maxBytes ?? 4 * 1024 * 1024;
    const out: Buffer[] = [];
    let bytes = 0;
    let failure: (Error & { code?: string; killed?: boolean }) | null = null;
    const timer = setTimeout(() => {
      failure ??= Object.assign(new Error(`${file} did not answer within ${opts.timeoutMs} ms`), { killed: true });
      killGroup(child);
    }, opts.timeoutMs);
    child.stdin.end();
    child.stdin.on('error', () => {});
    child.stderr.resume();
    child.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
      if (bytes > max) {
        failure ??= new Error(`${file} wrote more than ${max} bytes`);
        killGroup(child);
      } else out.push(b);
    });
    child.on('error', (e) => void (failure ??= e));
    closeAfterExit(child);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!failure && code !== 0) failure = new Error(`${file} ${signal ? `was killed by ${signal}` : `exited with ${code}`}`);
      if (failure) reject(failure);
      else resolve(Buffer.concat(out).toString('utf8'));
    });
  });
}

export function runFfmpeg(ffmpegPath: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnInGroup(ffmpegPath, args);
    const parser = createStderrParser();
    const out: Buffer[] = [];
    const kept: Buffer[] = [];
    let head: Buffer = Buffer.alloc(0);
    let inputBytes = 0;
    let failure: TresorError | null = null;
    const stream = opts.input instanceof Readable ? opts.input : null;

    const stop = (err: TresorError): void => {
      failure ??= err;
      killGroup(child);
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

    closeAfterExit(child);
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
