import type { Context } from 'hono';
import type { Principal } from '../auth/index.ts';
import type { UserRow } from '../store/index.ts';
import type { Lang } from '../../views/i18n.ts';

/** What middleware puts on every request's context. */
export interface WebEnv {
  Variables: {
    principal: Principal | null;
    /** the signed-in console user (null for API tokens and anonymous requests) */
    user: UserRow | null;
    /** CSRF token of the session (or of the pre-login cookie) for forms */
    csrf: string;
    lang: Lang;
  };
}

export type Ctx = Context<WebEnv>;
