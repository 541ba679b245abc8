import type { Access, AudioAction } from '../access/index.ts';
import type { Principal } from '../auth/index.ts';
import { TresorError } from '../core/errors.ts';

/**
 * Parses a Range header (RFC 9110 §14.1.2) for a body of `total` bytes into [start, end).
 * null = serve the whole body (no header, or several ranges: players ask for one; a
 * multipart/byteranges answer buys nothing here). An unsatisfiable range throws.
 */
export function parseRange(header: string | undefined, total: number): [number, number] | null {
  if (!header) return null;
  const m = /^bytes=\s*(\d*)\s*-\s*(\d*)\s*$/.exec(header.trim());
  if (!m) return null; // not a single byte range: ignore it (allowed by §14.2)
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  let start: number;
  let end: number;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0) throw new TresorError('E_RANGE', 'unsatisfiable range', { detail: { total } });
    start = Math.max(0, total - suffix);
    end = total;
  } else {
    start = Number(a);
    end = b === '' ? total : Math.min(total, Number(b) + 1);
    if (start >= total || end <= start) throw new TresorError('E_RANGE', 'unsatisfiable range', { detail: { total } });
  }
  return [start, end];
}

/**
 * One response for the console's player and the API: authorise, log (inside
 * access.readAudio), then decrypt only the requested bytes. Every request is its own
 * logged access, seeks included: the log shows which parts of a call were heard.
 */
export async function audioResponse(access: Access, p: Principal, id: string, rangeHeader: string | undefined, action: AudioAction = 'recording.played', detail: Record<string, unknown> = {}): Promise<Response> {
  let unsatisfiable: number | null = null;
  try {
    const r = await access.streamAudio(p, id, action, (total) => {
      try {
        return parseRange(rangeHeader, total);
      } catch (e) {
        unsatisfiable = total;
        throw e;
      }
    }, detail);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = r.chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });
    const headers: Record<string, string> = {
      'Content-Type': r.contentType,
      'Accept-Ranges': 'bytes',
      'Cache-Control': 'no-store, private',
      'Content-Length': String(r.length),
    };
    if (r.range) {
      headers['Content-Range'] = `bytes ${r.range[0]}-${r.range[1] - 1}/${r.total}`;
      return new Response(body, { status: 206, headers });
    }
    return new Response(body, { status: 200, headers });
  } catch (e) {
    if (unsatisfiable !== null) return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${unsatisfiable}` } });
    throw e;
  }
}
