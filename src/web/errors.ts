import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isTresorError, TresorError, type ErrorCode } from '../core/errors.ts';
import { errorPage } from '../../views/layout.ts';
import { errorLabel, internalErrorHint } from '../../views/error-labels.ts';
import { pickLang } from './lang.ts';
import { translator } from '../../views/labels/common.ts';
import { messageIn } from '../../views/messages.ts';
import type { Lang } from '../../views/i18n.ts';
import { pageCtx } from './page.ts';
import { isApi } from './session.ts';

/**
 * Code → HTTP status, the only place that decides one (the codes and what they mean:
 * src/core/errors.ts). A Record over every code: a new code without a status does not
 * compile. 400 is "change what you typed" (a value, a taken name, a rule such as the last
 * administrator or a locked policy); 409 is "something else is in the way" (a pending or
 * decided request, another process, a change meanwhile); 422 is a recording that cannot
 * be used; 5xx is the box, not the request.
 */
export const HTTP_STATUS: Record<ErrorCode, ContentfulStatusCode> = {
  E_USAGE: 400,
  E_INVALID: 400,
  E_EXISTS: 400,
  E_LAST_ADMIN: 400,
  E_LOCKED: 400,
  E_UNAUTHENTICATED: 401,
  E_FORBIDDEN: 403,
  E_FOUR_EYES: 403,
  E_REJECT_ONLY: 403,
  E_NOT_FOUND: 404,
  E_READ_ONLY: 405,
  E_CONFLICT: 409,
  E_EXPIRED: 409,
  E_ALREADY_DECIDED: 409,
  E_NEEDS_APPROVAL: 409,
  E_NEEDS_EXCLUSIVE: 409,
  E_TOO_LARGE: 413,
  E_RANGE: 416,
  E_EMPTY_FILE: 422,
  E_UNSUPPORTED_FORMAT: 422,
  E_DECODE_FAILED: 422,
  E_NO_AUDIO: 422,
  E_TRUNCATED: 422,
  E_BAD_HEADER: 422,
  E_NOT_REGULAR_FILE: 422,
  E_SIDECAR_INVALID: 422,
  E_FFMPEG_TIMEOUT: 503,
  E_FFMPEG_MISSING: 503,
  E_BUSY: 503,
  E_DISK_FULL: 507,
  E_CONFIG: 500,
  E_KEYS_MISSING: 500,
  E_KEYS_INVALID: 500,
  E_IO: 500,
  E_READBACK_MISMATCH: 500,
  E_INTEGRITY: 500,
  E_CRYPTO: 500,
  E_LOG_INCONSISTENT: 500,
  E_NO_ARCHIVE: 500,
  E_INDEX_DAMAGED: 500,
  E_ROTATION_UNFINISHED: 500,
  E_INTERNAL: 500,
};

/** Anything that is not a TresorError is a defect. */
export const codeOf = (e: unknown): ErrorCode => (isTresorError(e) ? e.code : 'E_INTERNAL');

export const statusOf = (e: unknown): ContentfulStatusCode => HTTP_STATUS[codeOf(e)];

export interface Refusal {
  code: ErrorCode;
  status: ContentfulStatusCode;
  message: string;
}

/**
 * A refusal a page shows in place, next to what was typed (a form, the approvals list):
 * its code, its status from the table and its message in the reader's language (German where
 * views/messages.ts has it). null for a defect (a 500): the
 * route rethrows it to the one error handler, which hides its message. (A 503 or 507 —
 * busy, no ffmpeg, disk full — says something true about the box and is shown.)
 */
export function refusal(e: unknown, lang: Lang = 'en'): Refusal | null {
  if (!isTresorError(e)) return null;
  const status = HTTP_STATUS[e.code];
  return status === 500 ? null : { code: e.code, status, message: messageIn(lang, e.message).text };
}

/** Headers a status needs to be complete (RFC 9110: 401, 405, 416; 503's Retry-After). */
function headersFor(e: TresorError, api: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  const d = e.detail;
  if (e.code === 'E_UNAUTHENTICATED' && api) h['WWW-Authenticate'] = 'Bearer';
  if (e.code === 'E_READ_ONLY') h.Allow = typeof d.allow === 'string' ? d.allow : 'GET, HEAD';
  if (e.code === 'E_RANGE' && typeof d.total === 'number') h['Content-Range'] = `bytes */${d.total}`;
  if (typeof d.retryAfterSeconds === 'number') h['Retry-After'] = String(d.retryAfterSeconds);
  return h;
}

/**
 * The one answer to an error, for `app.onError` and `app.notFound`: the API gets
 * {"error":{"code","message"}}, the console a page headed by the code's label in the
 * reader's language. A 500 says its code and nothing else (the stack goes to the journal).
 */
export async function errorResponse(c: Context, e: unknown): Promise<Response> {
  const code = codeOf(e);
  const status = HTTP_STATUS[code];
  const err = isTresorError(e) ? e : new TresorError('E_INTERNAL', 'internal error', { cause: e });
  if (status === 500) process.stderr.write(`tresor: web ${c.req.method} ${c.req.path}: ${code}: ${(e as Error)?.stack ?? e}\n`);
  const message = status === 500 ? 'internal error' : err.message;
  const api = isApi(c.req.path);
  const headers = headersFor(err, api);
  if (api) return c.json({ error: { code, message } }, status, headers);
  // The error page must never throw itself (it once did for a request that failed
  // before the identity middleware ran): plain text is the last resort.
  try {
    const base = pageCtx(c as never);
    // before the identity middleware (a body too large) the language comes from the browser
    const lang = c.get('lang') ?? pickLang(c, null);
    const ctx = { ...base, lang, t: translator(lang) };
    return await c.html(errorPage(ctx, errorLabel(lang, code), status === 500 ? internalErrorHint(lang) : messageIn(lang, message).text), status, headers);
  } catch {
    return c.text(message, status, headers);
  }
}
