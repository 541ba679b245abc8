import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Lang } from '../../views/i18n.ts';

/**
 * Which language a request gets: a cookie (set by a POST form, not a GET), else the
 * user's saved choice, else the browser's Accept-Language. The labels are in views/labels/.
 */
export const LANG_COOKIE = 'tresor_lang';

export function pickLang(c: Context, userLang: Lang | null): Lang {
  const cookie = getCookie(c, LANG_COOKIE);
  if (cookie === 'de' || cookie === 'en') return cookie;
  if (userLang) return userLang;
  const accept = (c.req.header('Accept-Language') ?? '').toLowerCase();
  const first = accept.split(',').map((p) => p.trim().slice(0, 2)).find((p) => p === 'de' || p === 'en');
  return first === 'de' ? 'de' : 'en';
}
