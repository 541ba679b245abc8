import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Lang } from '../../views/i18n.ts';

/**
 * Which language a request gets: the signed-in user's saved choice (POST /lang saves it,
 * so it follows the person to any browser), else a cookie (set by the same POST form,
 * for the sign-in pages), else the browser's Accept-Language. The labels are in views/labels/.
 */
export const LANG_COOKIE = 'tresor_lang';

export function pickLang(c: Context, userLang: Lang | null): Lang {
  if (userLang) return userLang;
  const cookie = getCookie(c, LANG_COOKIE);
  if (cookie === 'de' || cookie === 'en') return cookie;
  const accept = (c.req.header('Accept-Language') ?? '').toLowerCase();
  const first = accept.split(',').map((p) => p.trim().slice(0, 2)).find((p) => p === 'de' || p === 'en');
  return first === 'de' ? 'de' : 'en';
}
