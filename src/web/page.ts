import type { PageCtx } from '../../views/layout.ts';
import type { Ctx } from './env.ts';
import { translator } from './i18n.ts';

/** The render context of a page, from the request's context. */
export function pageCtx(c: Ctx): PageCtx {
  const lang = c.get('lang');
  return { t: translator(lang), lang, principal: c.get('principal'), csrf: c.get('csrf'), path: c.req.path };
}

/** Form fields as strings (missing → ''). */
export async function form(c: Ctx): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A same-site path to go back to after login; anything else goes to the start page. */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?!\/)[^\s\\]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}

export function clientAddress(c: Ctx): string {
  const info = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
  return info ?? 'unknown';
}
