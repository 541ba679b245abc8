import { Hono, type Context } from 'hono';
import { TresorError } from '../../core/errors.ts';
import { parseDateBound } from '../../core/dates.ts';
import { isId } from '../../core/ids.ts';
import { liftRestriction, RECTIFIABLE_FIELDS, restrictRecording, RESTRICTION_KINDS } from '../../privacy/index.ts';
import type { IndexStore } from '../../store/index.ts';
import type { AppDeps } from '../app.ts';
import { privacyDepsOf } from '../privacy-deps.ts';
import type { WebEnv } from '../env.ts';
import { requirePermission } from '../session.ts';
import { jsonBody } from '../page.ts';

/**
 * Restriction (GDPR Art. 18) and rectification (Art. 16) of one call over the API (issue 11
 * #6, #7), for a dpo's Bearer token: the same functions as `tresor recording restrict |
 * unrestrict | rectify` and the console. These paths are in RIGHTS_API_WRITES, which
 * app.ts lets through its read-only guard for Bearer tokens only (no console cookie: no
 * CSRF surface).
 */
export const RIGHTS_API_WRITES: readonly RegExp[] = [/^\/api\/recordings\/[^/]+\/(restrict|unrestrict|rectify)$/];

/** Refuses a field the route does not know, naming it and the known ones (a typo must not be ignored). */
function onlyKnown(b: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(b).filter((k) => !known.includes(k));
  if (unknown.length) throw new TresorError('E_INVALID', `unknown field ${unknown.map((k) => `"${k}"`).join(', ')} (known: ${known.join(', ')})`, { detail: { field: unknown[0] } });
}

/** A text field: required, or optional (absent or null); anything else is a 400 naming it. */
function text(b: Record<string, unknown>, name: string, required: true, hint?: string): string;
function text(b: Record<string, unknown>, name: string, required: false, hint?: string): string | undefined;
function text(b: Record<string, unknown>, name: string, required: boolean, hint = ''): string | undefined {
  const v = b[name];
  if (v === undefined || v === null) {
    if (required) throw new TresorError('E_INVALID', `${name} is required${hint ? ` (${hint})` : ''}`, { detail: { field: name } });
    return undefined;
  }
  if (typeof v !== 'string') throw new TresorError('E_INVALID', `${name} is a text${hint ? ` (${hint})` : ''}`, { detail: { field: name } });
  return v;
}

/**
 * The request a step answers, as typed (any case; empty: none). One that does not exist is
 * a wrong field (400 naming it), not a missing recording (404): the console and the API alike.
 */
export function knownRequestId(store: Pick<IndexStore, 'requests'>, raw: string | undefined): string | undefined {
  const r = raw?.trim().toUpperCase();
  if (!r) return undefined;
  if (!(isId(r) && store.requests.get(r))) throw new TresorError('E_INVALID', `requestId: no request ${r}`, { detail: { field: 'requestId' } });
  return r;
}

export function rightsApi(deps: AppDeps) {
  const { site } = deps;
  const privacy = privacyDepsOf(deps);
  const app = new Hono<WebEnv>();
  // per path: this sub-app is mounted on /api next to the others (a '*' would guard them all);
  // a supervisor's or admin's token is refused here and logged (access.denied)
  const guard = requirePermission(site.log, 'privacy.requests');
  for (const v of ['restrict', 'unrestrict', 'rectify']) app.use(`/recordings/:id/${v}`, guard);
  const actor = (c: Context<WebEnv>) => c.get('principal')!.actor;
  const idOf = (c: Context<WebEnv>) => {
    const id = c.req.param('id')!.toUpperCase();
    if (!isId(id)) throw new TresorError('E_NOT_FOUND', `no recording ${c.req.param('id')}`);
    return id;
  };
  const requestIdOf = (b: Record<string, unknown>) => knownRequestId(site.store, text(b, 'requestId', false));
  const restrictedOf = (id: string) => (site.store.recordings.get(id)?.marks ?? []).filter((m) => m.startsWith('restricted:')).map((m) => m.slice('restricted:'.length));

  // Art. 18(1): the ground is one of its four (a) to (d)
  app.post('/recordings/:id/restrict', async (c) => {
    const id = idOf(c);
    const b = await jsonBody(c);
    onlyKnown(b, ['reason', 'requestId']);
    const reason = text(b, 'reason', true, `one of ${RESTRICTION_KINDS.join(', ')}, Art. 18(1)`);
    await restrictRecording(privacy, actor(c), id, { reason, requestId: requestIdOf(b) });
    return c.json({ id, restricted: restrictedOf(id) });
  });

  // Art. 18(3): lifting needs the time the subject was told
  app.post('/recordings/:id/unrestrict', async (c) => {
    const id = idOf(c);
    const b = await jsonBody(c);
    onlyKnown(b, ['notifiedAt', 'requestId']);
    const notified = text(b, 'notifiedAt', true, 'when the subject was told, Art. 18(3): 2026-11-27 or an RFC 3339 time');
    const notifiedAt = parseDateBound(notified, 'start', 'notifiedAt');
    await liftRestriction(privacy, actor(c), id, { notifiedAt, requestId: requestIdOf(b) });
    return c.json({ id, restricted: restrictedOf(id) });
  });

  // Art. 16: one field per call; the log names the field, never the value
  app.post('/recordings/:id/rectify', async (c) => {
    const id = idOf(c);
    const b = await jsonBody(c);
    onlyKnown(b, ['field', 'value', 'statement', 'requestId']);
    const field = text(b, 'field', true, `one of ${RECTIFIABLE_FIELDS.join(', ')}`);
    const value = text(b, 'value', true, 'the corrected value');
    await deps.rectify(actor(c), id, { field, value, statement: text(b, 'statement', false), requestId: requestIdOf(b) });
    return c.json({ id, rectified: [field] });
  });
  return app;
}
