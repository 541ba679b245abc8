import type { SignedCheckpoint } from './checkpoint-store.ts';
import { checkCosignature, parseCosignerVkey, splitNote, type CosignerKey } from './cosignature.ts';
import type { AuditLog } from './log.ts';
import { addCheckpointRequest } from './witness/witness.ts';

/**
 * The box's side of C2SP tlog-witness: every checkpoint the log signs goes to each
 * configured witness (`log.witnesses`), and the cosignature lines that come back are kept
 * with that checkpoint, so every export carries them. It polls the latest stored
 * checkpoint rather than hooking the signer, so checkpoints signed by a CLI process while
 * the service runs are witnessed too.
 *
 * Failures to reach a witness are retried with exponential back-off. A refusal because
 * the checkpoint contradicts what the witness cosigned before (409 for the same size with
 * another root, 422 for a consistency proof that fails) is an alarm: it is logged and
 * that witness is not asked again until an operator restarts the service, since retrying
 * would only hide that this box's log forked or was rolled back.
 */
export interface WitnessSetting {
  /** null: an air-gapped witness, reached by files (`tresor witness sign`, `audit cosign-import`) */
  url: string | null;
  vkey: string;
}

export interface WitnessStatus {
  name: string;
  vkey: string;
  url: string | null;
  /** size of the newest checkpoint this witness cosigned, as far as the box holds its cosignature */
  cosignedSize: number | null;
  /** the latest checkpoint's size is larger than cosignedSize */
  behind: boolean;
  lastError: string | null;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  /** why this witness refused a checkpoint as inconsistent; it is not asked again */
  alarm: string | null;
}

export interface WitnessClient {
  /** submits the latest checkpoint to every witness due now; resolves when all have answered */
  syncNow(): Promise<void>;
  start(intervalMs: number): void;
  stop(): Promise<void>;
  status(): WitnessStatus[];
  /** how many configured witnesses have cosigned the latest checkpoint, against the quorum */
  quorum(): { have: number; need: number; size: number | null };
}

export interface WitnessClientOptions {
  log: AuditLog;
  witnesses: WitnessSetting[];
  /** default: all configured witnesses */
  quorum?: number | null;
  say?: (s: string) => void;
  now?: () => number;
  /** first back-off delay (default 1 s) and the cap (default 5 min) */
  backoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
}

interface Slot {
  setting: WitnessSetting;
  key: CosignerKey;
  cosigned: number | null;
  scanned: boolean;
  failures: number;
  lastError: string | null;
  lastAttempt: number | null;
  next: number;
  alarm: string | null;
}

/** How far back the client looks for a witness's last cosignature; beyond, it asks the witness (409). */
const LOOK_BACK = 256;

/**
 * The size of the newest stored checkpoint whose note carries a valid cosignature by one of
 * `keys`, among the newest `lookBack`; null if none. Only a hint for the old size to send:
 * the witness decides, and a 409 with its size corrects a wrong hint once.
 */
export function latestCosignedSize(log: Pick<AuditLog, 'recentCheckpoints'>, keys: CosignerKey[], lookBack = LOOK_BACK): number | null {
  for (const cp of log.recentCheckpoints(lookBack)) {
    const parts = splitNote(cp.note);
    if (parts && keys.some((k) => parts.sigLines.some((l) => checkCosignature(l, parts.body, k)?.ok === true))) return cp.size;
  }
  return null;
}

export function createWitnessClient(opts: WitnessClientOptions): WitnessClient {
  const { log } = opts;
  const now = opts.now ?? Date.now;
  const say = opts.say ?? ((s: string) => process.stderr.write(`${s}\n`));
  const base = opts.backoffMs ?? 1000;
  const cap = opts.maxBackoffMs ?? 300_000;
  const slots: Slot[] = opts.witnesses.map((setting) => ({
    setting, key: parseCosignerVkey(setting.vkey), cosigned: null, scanned: false, failures: 0, lastError: null, lastAttempt: null, next: 0, alarm: null,
  }));
  const need = opts.quorum ?? slots.length;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;

  const known = (s: Slot): number | null => {
    if (!s.scanned) {
      s.cosigned = latestCosignedSize(log, [s.key]);
      s.scanned = true;
    }
    return s.cosigned;
  };

  const fail = (s: Slot, why: string) => {
    s.failures++;
    s.lastError = why;
    s.next = now() + Math.min(cap, base * 2 ** (s.failures - 1));
  };

  const raise = async (s: Slot, status: number, why: string, size: number) => {
    s.alarm = `${status}: ${why}`;
    say(`tresor: ALARM witness ${s.key.name} refused checkpoint ${size} as inconsistent with what it cosigned (${status}: ${why.trim()})`);
    await log.append([{ actor: 'system:witness', action: 'witness.conflict', target: `witness:${s.key.name}`, detail: { status, size } }]);
  };

  async function post(url: string, body: string): Promise<{ status: number; type: string; text: string }> {
    const res = await fetch(`${url.replace(/\/$/, '')}/add-checkpoint`, {
      method: 'POST', body, headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  async function submit(s: Slot, cp: SignedCheckpoint): Promise<void> {
    let old = known(s) ?? 0;
    s.lastAttempt = now();
    // One size discovery per round (tlog-witness: a client without state may send old 0
    // and learn the witness's size from the 409); a second 409 is a conflict.
    for (let round = 0; round < 2; round++) {
      let r;
      try {
        const proof = old > 0 && old < cp.size ? log.consistencyProof(old, cp.size) : [];
        r = await post(s.setting.url!, addCheckpointRequest(old, proof, cp.note));
      } catch (e) {
        return fail(s, `unreachable: ${(e as Error).message}`);
      }
      if (r.status === 200) {
        const parts = splitNote(cp.note)!;
        const good = r.text.split('\n').filter((l) => l !== '' && checkCosignature(l, parts.body, s.key)?.ok === true);
        if (good.length === 0) return fail(s, 'answered 200 without a valid cosignature by its key');
        await log.addCosignatures(cp.size, good);
        s.cosigned = cp.size;
        s.failures = 0;
        s.lastError = null;
        s.next = 0;
        return;
      }
      if (r.status === 409 && r.type.startsWith('text/x.tlog.size') && round === 0) {
        const m = /^(0|[1-9][0-9]*)\n?$/.exec(r.text);
        const theirs = m ? Number(m[1]) : NaN;
        if (!Number.isSafeInteger(theirs)) return fail(s, `409 with an unreadable size ${JSON.stringify(r.text.slice(0, 40))}`);
        if (theirs > cp.size) return raise(s, 409, `it cosigned size ${theirs}, larger than this log's ${cp.size} (rolled back?)`, cp.size);
        if (theirs !== old) {
          old = theirs;
          continue;
        }
      }
      if (r.status === 409 || r.status === 422) return raise(s, r.status, r.text.slice(0, 200), cp.size);
      return fail(s, `HTTP ${r.status}: ${r.text.trim().slice(0, 200)}`);
    }
    return raise(s, 409, 'conflicting old size twice', cp.size);
  }

  async function round(force: boolean): Promise<void> {
    const cp = log.latestCheckpoint();
    if (!cp) return;
    const due = slots.filter((s) => s.setting.url !== null && s.alarm === null && (known(s) ?? -1) < cp.size && (force || now() >= s.next));
    await Promise.all(due.map((s) => submit(s, cp)));
  }

  const once = (force: boolean): Promise<void> => {
    running ??= round(force).finally(() => (running = null));
    return running;
  };

  return {
    syncNow: () => once(true),
    start(intervalMs) {
      if (timer || slots.length === 0) return;
      timer = setInterval(() => {
        once(false).catch((e: unknown) => say(`tresor: witness submission failed: ${(e as Error).message}`));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
    status() {
      const latest = log.latestCheckpoint()?.size ?? null;
      const iso = (t: number | null) => (t === null || t === 0 ? null : new Date(t).toISOString());
      return slots.map((s) => {
        const c = known(s);
        return {
          name: s.key.name, vkey: s.setting.vkey, url: s.setting.url, cosignedSize: c,
          behind: latest !== null && (c === null || c < latest), lastError: s.lastError, lastAttemptAt: iso(s.lastAttempt),
          nextAttemptAt: s.lastError ? iso(s.next) : null, alarm: s.alarm,
        };
      });
    },
    quorum() {
      const latest = log.latestCheckpoint()?.size ?? null;
      return { have: slots.filter((s) => latest !== null && known(s) === latest).length, need, size: latest };
    },
  };
}
