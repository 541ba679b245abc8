import { Hono, type Context } from 'hono';
import type { AuditLog } from '../audit/index.ts';
import { toHex } from '../audit/index.ts';
import { TresorError } from '../core/index.ts';

/**
 * The verifiable-log API (DESIGN §3 "HTTP"), mounted by the app under /api/log.
 * Read-only: GET never signs or appends (no state change by GET), so /checkpoint serves
 * the latest checkpoint the timer or an export signed.
 */
export const MAX_ENTRIES_PER_PAGE = 1000;

const INT_RE = /^(0|[1-9][0-9]{0,15})$/;

type Params = Record<string, number>;
/** Parses exactly the named decimal parameters; anything else is a 400 (E_INVALID) with the reason. */
function params(c: Context, names: readonly string[], optional: readonly string[] = []): Params | string {
  const query = c.req.queries();
  for (const k of Object.keys(query)) if (!names.includes(k)) return `unknown parameter "${k}" (expected ${names.join(', ')})`;
  const out: Params = {};
  for (const name of names) {
    const values = query[name];
    if (!values || values.length === 0) {
      if (optional.includes(name)) continue;
      return `missing parameter "${name}"`;
    }
    if (values.length > 1) return `parameter "${name}" given more than once`;
    const v = values[0]!;
    if (!INT_RE.test(v) || !Number.isSafeInteger(Number(v))) return `parameter "${name}" must be a non-negative decimal integer, got "${v}"`;
    out[name] = Number(v);
  }
  return out;
}

export function logApi(log: AuditLog): Hono {
  const app = new Hono();
  // errors take the app's one error path (src/web/errors.ts)
  const bad = (_c: Context, message: string): never => {
    throw new TresorError('E_INVALID', message);
  };

  app.get('/checkpoint', (c) => {
    const cp = log.latestCheckpoint();
    if (!cp) throw new TresorError('E_NOT_FOUND', 'no checkpoint has been signed yet');
    return c.text(cp.note, 200, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  });

  app.get('/entries', (c) => {
    const p = params(c, ['start', 'end'], ['end']);
    if (typeof p === 'string') return bad(c, p);
    const size = log.size();
    const start = p.start!;
    const end = p.end ?? Math.min(size, start + MAX_ENTRIES_PER_PAGE);
    if (start > size) return bad(c, `start ${start} is beyond the log size ${size}`);
    if (end < start) return bad(c, `end ${end} is before start ${start}`);
    if (end > size) return bad(c, `end ${end} is beyond the log size ${size}`);
    if (end - start > MAX_ENTRIES_PER_PAGE) return bad(c, `at most ${MAX_ENTRIES_PER_PAGE} entries per request`);
    const body = log.lines(start, end).map((l) => l + '\n').join('');
    return c.body(body, 200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'X-Log-Size': String(size) });
  });

  app.get('/proof/inclusion', (c) => {
    const p = params(c, ['index', 'size']);
    if (typeof p === 'string') return bad(c, p);
    const { index, size } = p as { index: number; size: number };
    const current = log.size();
    if (size > current) return bad(c, `size ${size} is beyond the log size ${current}`);
    if (index >= size) return bad(c, `index ${index} must be below size ${size}`);
    return c.json({ index, size, hashes: log.inclusionProof(index, size).map(toHex) });
  });

  app.get('/proof/consistency', (c) => {
    const p = params(c, ['from', 'to']);
    if (typeof p === 'string') return bad(c, p);
    const { from, to } = p as { from: number; to: number };
    const current = log.size();
    if (to > current) return bad(c, `to ${to} is beyond the log size ${current}`);
    // RFC 9162 §2.1.4 defines proofs for 0 < from ≤ to only: every log extends the empty one.
    if (from < 1) return bad(c, 'from must be at least 1 (a proof from the empty tree is meaningless)');
    if (from > to) return bad(c, `from ${from} must not exceed to ${to}`);
    // Same field names as consistency.json in an auditor export.
    return c.json({ old_size: from, new_size: to, hashes: log.consistencyProof(from, to).map(toHex) });
  });

  return app;
}
