import { parseVkey, verifyNote, decodeBase64Strict, type Verifier } from '../../crypto/signing.ts';
import { parseCheckpoint } from '../checkpoint.ts';
import { equalHash } from '../hasher.ts';
import { consistencyProblem } from '../tree-verify.ts';
import type { Cosigner } from '../cosignature.ts';
import type { WitnessState } from './state.ts';

/**
 * The witness's one operation, C2SP tlog-witness `add-checkpoint`, apart from HTTP so that
 * the server and the air-gap file mode (`tresor witness sign`) judge requests alike.
 * It knows the logs it witnesses by their vkeys; a Tresor log's origin is its key name.
 */
export interface WitnessReply {
  status: number;
  contentType: string;
  body: string;
}

export interface Witness {
  readonly vkey: string;
  addCheckpoint(request: string): Promise<WitnessReply>;
}

const MAX_PROOF = 63; // tlog-witness: a client MUST NOT send more than 63 proof lines

export function createWitness(opts: { cosigner: Cosigner; logs: string[]; state: WitnessState; now?: () => number }): Witness {
  const logs = new Map<string, Verifier[]>();
  for (const v of opts.logs) {
    const k = parseVkey(v);
    logs.set(k.name, [...(logs.get(k.name) ?? []), k]);
  }
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const text = (status: number, body: string): WitnessReply => ({ status, contentType: 'text/plain; charset=utf-8', body: `${body}\n` });
  // Checking the old size and storing the new state must be one step (the spec's race:
  // two requests checked against the same old size, the smaller stored last, rolls back).
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => T): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  };

  function judge(request: string): WitnessReply {
    const split = request.indexOf('\n\n');
    if (split < 0) return text(400, 'request: no empty line before the checkpoint');
    const head = request.slice(0, split).split('\n');
    const note = request.slice(split + 2);
    const m = /^old (0|[1-9][0-9]*)$/.exec(head[0] ?? '');
    if (!m) return text(400, 'request: the first line must be "old <size>"');
    const old = Number(m[1]);
    if (!Number.isSafeInteger(old)) return text(400, 'request: old size too large');
    if (head.length - 1 > MAX_PROOF) return text(400, `request: more than ${MAX_PROOF} consistency proof lines`);
    const proof: Uint8Array[] = [];
    for (const line of head.slice(1)) {
      const h = decodeBase64Strict(line);
      if (!h || h.length !== 32 || line === '') return text(400, 'request: a consistency proof line is not a base64 SHA-256 hash');
      proof.push(h);
    }
    const origin = note.slice(0, note.indexOf('\n'));
    const keys = logs.get(origin);
    if (!keys) return text(404, `unknown log origin ${JSON.stringify(origin)}`);
    let body: string | null = null;
    let lastReason = '';
    for (const k of keys) {
      const r = verifyNote(note, k);
      if (r.ok) {
        body = r.text;
        break;
      }
      lastReason = r.reason;
    }
    if (body === null) return text(/^malformed/.test(lastReason) ? 400 : 403, `checkpoint: ${lastReason}`);
    let cp;
    try {
      cp = parseCheckpoint(body);
    } catch (e) {
      return text(400, (e as Error).message);
    }
    if (cp.root.length !== 32) return text(400, 'checkpoint: root is not a SHA-256 hash');
    if (old > cp.size) return text(400, `old size ${old} is larger than the checkpoint size ${cp.size}`);

    const seen = opts.state.get(origin);
    const seenSize = seen?.size ?? 0;
    if (old !== seenSize) return { status: 409, contentType: 'text/x.tlog.size', body: `${seenSize}\n` };
    if (seen && old === cp.size) {
      if (!equalHash(seen.root, cp.root)) {
        opts.state.recordConflict(origin, 409, request);
        return text(409, `split view: a checkpoint for size ${cp.size} with another root was cosigned before`);
      }
    } else if (old === 0) {
      if (proof.length > 0) return text(400, 'request: the consistency proof must be empty when old is 0');
    } else {
      const why = consistencyProblem(old, cp.size, proof, seen!.root, cp.root);
      if (why) {
        opts.state.recordConflict(origin, 422, request);
        return text(422, `consistency proof ${old} → ${cp.size} does not verify: ${why}`);
      }
    }
    if (!seen || seen.size !== cp.size) opts.state.put({ origin, size: cp.size, root: cp.root, note });
    return { status: 200, contentType: 'text/plain; charset=utf-8', body: opts.cosigner.cosign(body, now()) };
  }

  return {
    vkey: opts.cosigner.vkey,
    addCheckpoint: (request) => serial(() => judge(request)),
  };
}

/** The request body of tlog-witness add-checkpoint. */
export function addCheckpointRequest(oldSize: number, proof: Uint8Array[], note: string): string {
  return `old ${oldSize}\n${proof.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('')}\n${note}`;
}
