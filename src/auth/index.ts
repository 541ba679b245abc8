import { TresorError } from '../core/errors.ts';
import type { LogWriter } from '../core/types.ts';
import type { IndexStore, SessionRow, UserRow } from '../store/index.ts';
import { checkApiToken } from './api-tokens.ts';
import { dummyHash, hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { can, type Principal, type Role } from './roles.ts';
import { createSession, endSession, lookupSession, sweepSessions, type SessionLimits } from './sessions.ts';
import { consumeSetupToken, setupTokenValid } from './setup.ts';
import { createThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from './throttle.ts';
import { checkTotp } from './totp.ts';
import { getUser, nameProblem, NO_PASSWORD, updateUser } from './users.ts';
import { openTotp, sealClearTotpSecrets, type SecretSealer } from './sealed.ts';
import { storeTotpSecret, TotpEnrolments, totpRequired } from './totp-enrol.ts';

export * from './roles.ts';
export * from './users.ts';
export * from './api-tokens.ts';
export * from './role-grants.ts';
export { issuePasswordLink, passwordLinkValid, setPasswordWithLink, PASSWORD_LINK_TTL_MS } from './password-links.ts';
export { openTotp, sealTotp, type SecretSealer, type SealedTotp } from './sealed.ts';
export { newSetupToken, setupNeeded, setupTokenValid } from './setup.ts';
export { passwordProblem, MIN_PASSWORD_LENGTH } from './passwords.ts';
export { newTotpSecret, otpauthUri, totpAt } from './totp.ts';
export { storeTotpSecret, totpRequired, TotpEnrolments, TOTP_ISSUER, TOTP_PRIVILEGED_ROLES } from './totp-enrol.ts';
export type { SessionLimits } from './sessions.ts';

export interface AuthSettings extends SessionLimits {
  /** TOTP is required for admin and dpo accounts (they can change who sees what) */
  requireTotpForPrivileged: boolean;
  /** the keyring's sealing operation, for TOTP secrets at rest */
  secrets: SecretSealer;
  throttle?: ThrottleOptions;
}

export type LoginResult =
  | { ok: true; sessionId: string; session: SessionRow; user: UserRow }
  | { ok: false; reason: 'invalid' | 'throttled' | 'totp-needed'; retryAfterMs?: number }
  /** password right, second factor required but not set up: enrol now with this pending secret */
  | { ok: false; reason: 'totp-enrol-needed'; enrolment: { token: string; secret: string; uri: string } };


export function userPrincipal(u: UserRow, sessionKey?: string): Principal {
  return { kind: 'user', name: u.name, actor: `user:${u.name}`, roles: u.roles, ...(sessionKey ? { sessionKey } : {}) };
}

/**
 * Login, sessions and bearer tokens for the web layer. Every failed login is logged
 * (`auth.login.failed`, with the account name but never the password), every success too.
 */
export function createAuth(store: IndexStore, log: LogWriter, settings: AuthSettings, now: () => number = Date.now) {
  const throttle = createThrottle(settings.throttle ?? DEFAULT_THROTTLE, now);
  // Pending TOTP enrolments of users whose password was just verified (memory only, 10
  // minutes): an admin or dpo who must use TOTP sets it up at first sign-in, not by
  // waiting for someone with a shell. The secret is stored only once a code proves the
  // authenticator has it (src/auth/totp-enrol.ts, the one enrolment path).
  const enrolments = new TotpEnrolments({ ttlMs: 10 * 60_000, now });

  async function openSession(u: UserRow, totp: boolean, detail: Record<string, unknown> = {}): Promise<LoginResult> {
    throttle.succeeded([`user:${u.name}`]);
    const t = now();
    await sweepSessions(store, settings, t);
    const fresh = getUser(store, u.name) ?? u;
    const { id, row } = await createSession(store, u.name, fresh.sessionEpoch, t);
    await log.append([{ actor: `user:${u.name}`, action: 'auth.login', target: 'auth', detail: { totp, ...detail } }]);
    return { ok: true, sessionId: id, session: row, user: fresh };
  }

  /**
   * Marks a TOTP step used, in one write transaction that re-reads the row: of logins
   * racing with one code (each past its own scrypt run), exactly one gets the step.
   */
  function claimTotpStep(name: string, step: number): Promise<boolean> {
    return store.tx(() => {
      const cur = store.users.get(name);
      if (!cur || cur.totpLastStep >= step) return false;
      store.users.put({ ...cur, totpLastStep: step });
      return true;
    });
  }

  return {
    throttle,
    async login(input: { name: string; password: string; totp?: string; address: string }): Promise<LoginResult> {
      const name = input.name.trim().toLowerCase();
      const keys = [`user:${name}`, `addr:${input.address}`];
      const wait = throttle.retryAfterMs(keys);
      if (wait > 0) {
        await log.append([{ actor: `user:${nameProblem(name) ? '?' : name}`, action: 'auth.login.throttled', target: 'auth', detail: { retryAfterMs: wait } }]);
        return { ok: false, reason: 'throttled', retryAfterMs: wait };
      }
      const u = nameProblem(name) ? undefined : getUser(store, name);
      // Unknown users, and accounts whose password is not set yet, cost the same scrypt
      // run as everyone else: timing tells no names.
      const usable = u && u.passwordHash !== NO_PASSWORD;
      const good = (await verifyPassword(input.password, usable ? u.passwordHash : await dummyHash())) && !!usable;
      const fail = async (why: string, reason: 'invalid' | 'totp-needed' = 'invalid'): Promise<LoginResult> => {
        throttle.failed(keys);
        await log.append([{ actor: `user:${u ? name : '?'}`, action: 'auth.login.failed', target: 'auth', detail: { why } }]);
        return { ok: false, reason };
      };
      if (!u || !good) return fail(u ? (usable ? 'password' : 'no-password-set') : 'unknown-user');
      if (u.disabled) return fail('disabled');
      let totp = false;
      if (totpRequired(u, settings.requireTotpForPrivileged).atSignIn) {
        if (!u.totpSecret) {
          const { key: token, secret, uri } = enrolments.start(u.name, { onePerUser: true });
          return { ok: false, reason: 'totp-enrol-needed', enrolment: { token, secret, uri } };
        }
        if (!input.totp) return { ok: false, reason: 'totp-needed' };
        let secret: string;
        try {
          secret = openTotp(settings.secrets, u)!;
        } catch {
          // a sealed value that does not open here (moved from another row, other keys)
          return fail('totp-secret-unreadable', 'totp-needed');
        }
        const step = checkTotp(secret, input.totp.trim(), now(), u.totpLastStep);
        // checked against the row read before scrypt; claimed against the row as it is now
        if (step === null || !(await claimTotpStep(u.name, step))) return fail('totp', 'totp-needed');
        totp = true;
      }
      return openSession(u, totp);
    },

    /** Finishes a first-sign-in TOTP enrolment: a valid code stores the secret and signs in. */
    async completeEnrolment(input: { token: string; code: string; address: string }): Promise<LoginResult | { ok: false; reason: 'enrolment-expired' }> {
      const e = enrolments.get(input.token);
      if (!e) {
        enrolments.drop(input.token);
        return { ok: false, reason: 'enrolment-expired' };
      }
      const keys = [`user:${e.user}`, `addr:${input.address}`];
      const wait = throttle.retryAfterMs(keys);
      if (wait > 0) return { ok: false, reason: 'throttled', retryAfterMs: wait };
      const step = enrolments.check(e, input.code.trim());
      if (step === null) {
        throttle.failed(keys);
        await log.append([{ actor: `user:${e.user}`, action: 'auth.login.failed', target: 'auth', detail: { why: 'totp-enrolment-code' } }]);
        return { ok: false, reason: 'totp-enrol-needed', enrolment: { token: input.token, secret: e.secret, uri: e.uri } };
      }
      enrolments.drop(input.token);
      // the code just used counts as used: it cannot sign anyone in a second time
      const u = await storeTotpSecret({ store, log, secrets: settings.secrets }, `user:${e.user}`, e.user, e.secret, step);
      return openSession(u, true, { enrolled: true });
    },

    /** Seals TOTP secrets an older version stored in the clear (run once at start). */
    sealClearTotpSecrets: () => sealClearTotpSecrets(store, settings.secrets),

    /** The principal of a session cookie, or why there is none. */
    session(id: string): { principal: Principal; session: SessionRow; user: UserRow } | { reason: 'unknown' | 'idle' | 'expired' | 'ended' } {
      const s = lookupSession(store, id, settings, now());
      if (!s.ok) return { reason: s.reason };
      const u = getUser(store, s.row.user);
      if (!u || u.disabled || u.sessionEpoch !== s.row.epoch) {
        void endSession(store, s.key);
        return { reason: 'ended' };
      }
      return { principal: userPrincipal(u, s.key), session: s.row, user: u };
    },

    bearer(value: string): Principal | null {
      const t = checkApiToken(store, value);
      if (!t) return null;
      const u = getUser(store, t.user);
      if (!u || u.disabled) return null;
      // "last used" to the minute, written in the background: no disk wait per API call
      const t0 = now();
      // (re-read inside the transaction: a stale copy must never undo a revocation)
      if (!t.lastUsedAt || t0 - t.lastUsedAt > 60_000) {
        void store.tx(() => {
          const cur = store.apiTokens.get(t.id);
          if (cur && !cur.revokedAt) store.apiTokens.put({ ...cur, lastUsedAt: t0 });
        });
      }
      return { kind: 'token', name: u.name, actor: `token:${t.id}`, roles: u.roles, sessionKey: t.id };
    },

    async logout(p: Principal, everywhere = false): Promise<void> {
      if (everywhere) {
        const u = getUser(store, p.name);
        await store.tx(() => {
          if (u) store.users.put({ ...u, sessionEpoch: u.sessionEpoch + 1 });
          log.appendSync([{ actor: p.actor, action: 'auth.logout.everywhere', target: `user:${p.name}`, detail: {} }]);
        });
        await sweepSessions(store, settings, now(), p.name);
        return;
      }
      if (p.sessionKey) await endSession(store, p.sessionKey);
      await log.append([{ actor: p.actor, action: 'auth.logout', target: 'auth', detail: {} }]);
    },

    /** Creates the first admin through the one-time setup link. */
    async completeSetup(token: string, name: string, password: string): Promise<UserRow> {
      if (!setupTokenValid(store, token, now())) throw new TresorError('E_FORBIDDEN', 'this setup link is not valid (used, expired, or users exist already)');
      const np = nameProblem(name);
      if (np) throw new TresorError('E_INVALID', np);
      const pp = passwordProblem(password);
      if (pp) throw new TresorError('E_INVALID', pp);
      const hash = await hashPassword(password);
      const row: UserRow = {
        v: 1, name, roles: ['admin'], passwordHash: hash, disabled: false, createdAt: now(), createdBy: 'setup-link',
        totpSecret: null, totpLastStep: -1, sessionEpoch: 0, lang: null,
      };
      const ok = await store.tx(() => {
        if (store.users.count() > 0) return false;
        store.users.put(row);
        store.meta.removeSetup();
        log.appendSync([{ actor: 'setup-link', action: 'user.created', target: `user:${name}`, detail: { roles: row.roles, via: 'setup-link' } }]);
        return true;
      });
      if (!ok) {
        await consumeSetupToken(store);
        throw new TresorError('E_FORBIDDEN', 'users exist already: the setup link is void');
      }
      return row;
    },

    setupValid: (token: string) => setupTokenValid(store, token, now()),
    can,
  };
}

export type Auth = ReturnType<typeof createAuth>;
