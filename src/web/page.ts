import type { Context } from 'hono';
import type { PageCtx } from '../../views/layout.ts';
import { TresorError } from '../core/errors.ts';
import { can, type Permission } from '../auth/index.ts';
import type { Ctx, WebEnv } from './env.ts';
import { translator } from '../../views/labels/common.ts';

/**
 * The render context of a page, from the request's context. Defaults where the request
 * never got to the identity middleware (an error while reading the body): the error page
 * must still render.
 */
export function pageCtx(c: Ctx): PageCtx {
  const lang = c.get('lang') ?? 'en';
  const principal = c.get('principal') ?? null;
  return {
    t: translator(lang), lang, principal, csrf: c.get('csrf') ?? '', path: c.req.path,
    may: (p) => !!principal && can(principal.roles, p as Permission),
  };
}

/**
 * The request's form body. A body that is not valid form data (a multipart body whose
 * last part never ends) or that the client stopped sending half-way is the client's
 * fault: E_INVALID (a 400 with this message), not an internal error with a stack trace.
 */
export async function readForm(c: Context, opts: { all?: boolean } = {}): Promise<Record<string, string | File | (string | File)[]>> {
  try {
    return await c.req.parseBody(opts);
  } catch (e) {
    throw badBody(e);
  }
}

export function badBody(cause: unknown): TresorError {
  return new TresorError('E_INVALID', 'The request body could not be read (incomplete, or not valid form data).', { detail: { reason: 'bad-body' }, cause });
}

/** Form fields as strings (missing → ''). */
export async function form(c: Ctx): Promise<Record<string, string>> {
  const body = await readForm(c);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A same-site path to go back to after login; anything else goes to the start page. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[^\s\\]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}

export function clientAddress(c: Context): string {
  const info = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
  return info ?? 'unknown';
}

/** A JSON object body of an API write, or E_INVALID that says what was wrong. */
export async function jsonBody(c: Context<WebEnv>): Promise<Record<string, unknown>> {
  if (!(c.req.header('Content-Type') ?? '').startsWith('application/json')) throw new TresorError('E_INVALID', 'send a JSON body (Content-Type: application/json)');
  let b: unknown;
  try {
    b = await c.req.json();
  } catch (e) {
    throw badBody(e);
  }
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new TresorError('E_INVALID', 'the body must be a JSON object');
  return b as Record<string, unknown>;
}
