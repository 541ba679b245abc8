import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, existsSync, unlinkSync, appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TresorError } from '../../core/index.ts';

/**
 * What a witness remembers: per log origin, the size and root of the latest checkpoint it
 * cosigned (C2SP tlog-witness: "the witness MUST persist the new checkpoint before
 * responding"). One small JSON file per origin, replaced atomically (write a temporary
 * file, fsync, rename, fsync the folder): after a crash it holds the old or the new state,
 * never a torn one, and never forgets a cosigned size, which would let a log roll back.
 */
export interface WitnessedState {
  origin: string;
  size: number;
  root: Uint8Array;
  /** the checkpoint note as cosigned (evidence) */
  note: string;
}

export interface WitnessState {
  get(origin: string): WitnessedState | null;
  put(s: WitnessedState): void;
  /** keeps a refused request with a valid log signature: possible evidence of a fork */
  recordConflict(origin: string, status: number, request: string): void;
  close(): void;
}

const fileName = (origin: string) => createHash('sha256').update(origin).digest('hex').slice(0, 32);

export function openWitnessState(dir: string): WitnessState {
  mkdirSync(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'conflicts'), { recursive: true, mode: 0o700 });
  const lock = takeLock(dir);
  const path = (origin: string) => join(dir, 'logs', `${fileName(origin)}.json`);
  return {
    get(origin) {
      let text: string;
      try {
        text = readFileSync(path(origin), 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw e;
      }
      const o = JSON.parse(text) as { origin: string; size: number; root: string; note: string };
      if (o.origin !== origin || !Number.isSafeInteger(o.size)) throw new TresorError('E_INTEGRITY', `witness state ${path(origin)} is damaged`);
      return { origin, size: o.size, root: new Uint8Array(Buffer.from(o.root, 'base64')), note: o.note };
    },
    put(s) {
      const data = `${JSON.stringify({ origin: s.origin, size: s.size, root: Buffer.from(s.root).toString('base64'), note: s.note })}\n`;
      writeDurably(join(dir, 'logs'), `${fileName(s.origin)}.json`, data);
    },
    recordConflict(origin, status, request) {
      const at = new Date().toISOString();
      appendFileSync(join(dir, 'conflicts', `${fileName(origin)}.log`), `${JSON.stringify({ at, origin, status, request })}\n`, { mode: 0o600 });
    },
    close() {
      if (existsSync(lock)) unlinkSync(lock);
    },
  };
}

function writeDurably(folder: string, name: string, data: string): void {
  const tmp = join(folder, `.${name}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, join(folder, name));
  const dfd = openSync(folder, 'r');
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

// Two witness processes on one state folder could each accept a different old size (the
// race the spec describes); one process serialises its own requests, the lock keeps out a
// second. A lock left by a crashed process (its pid is gone) is taken over.
function takeLock(dir: string): string {
  const lock = join(dir, 'witness.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0 && alive(pid)) {
        throw new TresorError('E_BUSY', `witness state ${dir} is in use by process ${pid}`);
      }
      unlinkSync(lock);
    }
  }
  throw new TresorError('E_BUSY', `cannot lock witness state ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
