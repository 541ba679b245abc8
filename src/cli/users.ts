import { TresorError } from '../core/errors.ts';
import type { Site } from '../site/open.ts';
import {
  addUser, createApiToken, lastAdminProblem, listApiTokens, listUsers, mustUser, nameProblem, newTotpSecret, otpauthUri,
  parseRoles, passwordProblem, revokeApiToken, storeTotpSecret, summary, TOTP_ISSUER, totpRequired, updateUser,
} from '../auth/index.ts';
import type { ApiTokenRow, UserRow } from '../store/index.ts';
import { withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';

/**
 * `tresor user …` and `tresor token …`: account management from the box's shell, for
 * the first administrator, for scripts, and for recovery (a lost phone, a forgotten
 * password, the last admin locked out). Passwords come on stdin only, never as an
 * argument (arguments show in `ps` and shell history). Every change is logged by
 * src/auth with actor `cli:<os user>`.
 *
 * What the operator on the box may do (issue 16): everything here, directly — set a
 * password, grant any role, create a token for any user — without the console's four-eyes
 * steps. Whoever can run this reads the data directory and the keys, and so every
 * recording (`tresor extract`); a second person in the console would not stop them. The
 * separation of duties is between console users; the box's shell is the site's root,
 * and every use of it is in the log.
 */



function needName(v: string | undefined, cmd: string): string {
  if (!v) throw new TresorError('E_USAGE', `${cmd}: give --name NAME`);
  const name = v.trim().toLowerCase();
  const p = nameProblem(name);
  if (p) throw new TresorError('E_INVALID', `${cmd}: --name: ${p}`);
  return name;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** One line from the terminal without echo. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let s = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(s);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new TresorError('E_INVALID', 'cancelled: no password given'));
        if (ch === '\u007f' || ch === '\b') s = s.slice(0, -1);
        else s += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * The password for `--password-stdin`: everything on stdin without its final newline
 * (so `echo "$PW" | …` and `printf %s "$PW" | …` give the same). On a terminal it asks
 * twice without echo. Empty input is refused, never taken as "no password".
 */
async function readPassword(cmd: string): Promise<string> {
  let pw: string;
  if (process.stdin.isTTY) {
    pw = await promptHidden('New password: ');
    const again = await promptHidden('Same password again: ');
    if (pw !== again) throw new TresorError('E_INVALID', `${cmd}: the two passwords differ`);
  } else {
    pw = (await readAll(process.stdin)).replace(/\r?\n$/, '');
  }
  if (!pw) throw new TresorError('E_USAGE', `${cmd}: no password on stdin (pipe it in, e.g. printf '%s' "$PW" | tresor ${cmd} … --password-stdin)`);
  if (pw.includes('\n')) throw new TresorError('E_INVALID', `${cmd}: the password on stdin has more than one line`);
  const p = passwordProblem(pw);
  if (p) throw new TresorError('E_INVALID', `${cmd}: ${p}`);
  return pw;
}

function needPasswordStdin(flag: boolean | undefined, cmd: string): void {
  if (!flag) throw new TresorError('E_USAGE', `${cmd}: give --password-stdin and the password on stdin (never as an argument)`);
}

function guard(site: Site, u: UserRow, after: Pick<UserRow, 'roles' | 'disabled'>): void {
  const p = lastAdminProblem(site.store, u, after);
  if (p) throw new TresorError('E_LAST_ADMIN', p);
}

const USER_USAGE = `usage: tresor user add --name N --role R [--role R…] --password-stdin
       tresor user list [--json]
       tresor user disable --name N | user enable --name N
       tresor user reset-password --name N --password-stdin
       tresor user roles --name N --role R [--role R…]
       tresor user totp --name N | user totp-remove --name N
roles: admin, supervisor, dpo, auditor`;

export const userCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parse(rest, { name: { type: 'string' }, role: { type: 'string', multiple: true }, 'password-stdin': { type: 'boolean' } });
      if (positionals.length) throw new TresorError('E_USAGE', `user add: unexpected ${positionals.join(' ')}`);
      const name = needName(values.name, 'user add');
      const roles = parseRoles(values.role ?? []);
      needPasswordStdin(values['password-stdin'], 'user add');
      const password = await readPassword('user add');
      return withSite(config, async (site) => {
        const u = await addUser(site.store, site.log, actor, { name, roles, password });
        io.out(`added user ${u.name} (${u.roles.join(', ')})`);
        return 0;
      });
    }
    case 'list': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length) throw new TresorError('E_USAGE', `user list: unexpected ${positionals.join(' ')}`);
      return withSite(config, async (site) => {
        const rows = listUsers(site.store).sort((a, b) => a.name.localeCompare(b.name)).map(summary);
        if (values.json) {
          io.out(JSON.stringify(rows, null, 2));
          return 0;
        }
        if (!rows.length) {
          io.out('no users (create the first administrator: tresor user add --name NAME --role admin --password-stdin)');
          return 0;
        }
        io.out(['NAME', 'ROLES', 'STATE', 'TOTP', 'CREATED (UTC)', 'BY'].join('\t'));
        for (const u of rows) io.out([u.name, u.roles.join(','), u.disabled ? 'disabled' : 'enabled', u.totp ? 'on' : 'off', u.createdAt.slice(0, 19).replace('T', ' '), u.createdBy].join('\t'));
        return 0;
      });
    }
    case 'disable':
    case 'enable': {
      const { values, positionals } = parse(rest, { name: { type: 'string' } });
      if (positionals.length) throw new TresorError('E_USAGE', `user ${sub}: unexpected ${positionals.join(' ')}`);
      const name = needName(values.name, `user ${sub}`);
      const disabled = sub === 'disable';
      return withSite(config, async (site) => {
        const u = mustUser(site.store, name);
        if (u.disabled === disabled) {
          io.out(`user ${name} is ${disabled ? 'disabled' : 'enabled'} already`);
          return 0;
        }
        guard(site, u, { roles: u.roles, disabled });
        await updateUser(site.store, site.log, actor, name, { disabled });
        io.out(disabled ? `disabled ${name}; their sessions and API tokens stopped working` : `enabled ${name}`);
        return 0;
      });
    }
    case 'reset-password': {
      const { values, positionals } = parse(rest, { name: { type: 'string' }, 'password-stdin': { type: 'boolean' } });
      if (positionals.length) throw new TresorError('E_USAGE', `user reset-password: unexpected ${positionals.join(' ')}`);
      const name = needName(values.name, 'user reset-password');
      needPasswordStdin(values['password-stdin'], 'user reset-password');
      // fail on an unknown name before asking for a password
      await withSite(config, async (site) => mustUser(site.store, name));
      const password = await readPassword('user reset-password');
      return withSite(config, async (site) => {
        await updateUser(site.store, site.log, actor, name, { password });
        io.out(`new password set for ${name}; their sessions were ended`);
        return 0;
      });
    }
    case 'roles': {
      const { values, positionals } = parse(rest, { name: { type: 'string' }, role: { type: 'string', multiple: true } });
      if (positionals.length) throw new TresorError('E_USAGE', `user roles: unexpected ${positionals.join(' ')}`);
      const name = needName(values.name, 'user roles');
      const roles = parseRoles(values.role ?? []);
      return withSite(config, async (site) => {
        const u = mustUser(site.store, name);
        guard(site, u, { roles, disabled: u.disabled });
        await updateUser(site.store, site.log, actor, name, { roles });
        io.out(`${name} now has the roles ${roles.join(', ')}; their sessions were ended`);
        return 0;
      });
    }
    case 'totp': {
      const { values, positionals } = parse(rest, { name: { type: 'string' } });
      if (positionals.length) throw new TresorError('E_USAGE', `user totp: unexpected ${positionals.join(' ')}`);
      const name = needName(values.name, 'user totp');
      return withSite(config, async (site) => {
        const u = mustUser(site.store, name);
        // whoever runs the CLI holds the keys: no code to prove, the secret is shown once
        const secret = newTotpSecret();
        await storeTotpSecret({ store: site.store, log: site.log, secrets: site.keys }, actor, name, secret);
        if (u.totpSecret) io.err(`note: ${name} had a second factor already; it was replaced and the old app entry no longer works`);
        io.out(`secret ${secret}`);
        io.out(`uri    ${otpauthUri(TOTP_ISSUER, name, secret)}`);
        io.err('Give the secret (or the URI, e.g. as a QR code) to the user for their authenticator app. It is shown only this once.');
        return 0;
      });
    }
    case 'totp-remove': {
      const { values, positionals } = parse(rest, { name: { type: 'string' } });
      if (positionals.length) throw new TresorError('E_USAGE', `user totp-remove: unexpected ${positionals.join(' ')}`);
      const name = needName(values.name, 'user totp-remove');
      return withSite(config, async (site) => {
        const u = mustUser(site.store, name);
        if (!u.totpSecret) {
          io.out(`${name} has no second factor`);
          return 0;
        }
        await updateUser(site.store, site.log, actor, name, { totpSecret: null });
        io.out(`removed the second factor of ${name}; their sessions were ended`);
        if (totpRequired(u, config.auth.requireTotpForPrivileged).byPolicy) {
          io.err(`note: the role of ${name} requires a second factor; they can sign in again after: tresor user totp --name ${name}`);
        }
        return 0;
      });
    }
    default:
      throw new TresorError('E_USAGE', sub ? `unknown user command "${sub}"\n${USER_USAGE}` : USER_USAGE);
  }
};

const tokenView = (t: ApiTokenRow) => ({
  id: t.id, user: t.user, label: t.label, createdAt: new Date(t.createdAt).toISOString(), createdBy: t.createdBy,
  lastUsedAt: t.lastUsedAt ? new Date(t.lastUsedAt).toISOString() : null, revokedAt: t.revokedAt ? new Date(t.revokedAt).toISOString() : null,
});

const TOKEN_USAGE = `usage: tresor token create --user N [--label L]
       tresor token list [--user N] [--json]
       tresor token revoke ID`;

export const tokenCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create': {
      const { values, positionals } = parse(rest, { user: { type: 'string' }, label: { type: 'string' } });
      if (positionals.length) throw new TresorError('E_USAGE', `token create: unexpected ${positionals.join(' ')}`);
      if (!values.user) throw new TresorError('E_USAGE', 'token create: give --user NAME (the token acts as that user, with their roles)');
      const name = values.user.trim().toLowerCase();
      return withSite(config, async (site) => {
        const u = mustUser(site.store, name);
        if (u.disabled) throw new TresorError('E_CONFLICT', `token create: ${name} is disabled; enable the account first`);
        const { token, row } = await createApiToken(site.store, site.log, actor, name, values.label ?? '');
        // the token alone on stdout (TOKEN=$(tresor token create …)); the rest on stderr
        io.out(token);
        io.err(`created API token ${row.id} for ${name} (${u.roles.join(', ')}). This is the only time it is shown: Tresor keeps only a hash of it.`);
        return 0;
      });
    }
    case 'list': {
      const { values, positionals } = parse(rest, { user: { type: 'string' }, json: { type: 'boolean' } });
      if (positionals.length) throw new TresorError('E_USAGE', `token list: unexpected ${positionals.join(' ')}`);
      return withSite(config, async (site) => {
        const rows = listApiTokens(site.store, values.user?.trim().toLowerCase()).map(tokenView);
        if (values.json) {
          io.out(JSON.stringify(rows, null, 2));
          return 0;
        }
        if (!rows.length) {
          io.out('no API tokens');
          return 0;
        }
        io.out(['ID', 'USER', 'LABEL', 'CREATED (UTC)', 'LAST USED', 'STATE'].join('\t'));
        for (const t of rows) {
          io.out([t.id, t.user, t.label || '-', t.createdAt.slice(0, 19).replace('T', ' '), t.lastUsedAt?.slice(0, 19).replace('T', ' ') ?? 'never', t.revokedAt ? `revoked ${t.revokedAt.slice(0, 19).replace('T', ' ')}` : 'active'].join('\t'));
        }
        return 0;
      });
    }
    case 'revoke': {
      const { positionals } = parse(rest, {});
      if (positionals.length !== 1) throw new TresorError('E_USAGE', 'token revoke: name one token ID (see tresor token list)');
      // the whole token works too (tresor_<id>_<secret>): only its id part is used
      const arg = positionals[0]!.trim();
      const id = (/^tresor_([0-9A-Za-z]{26})_/.exec(arg)?.[1] ?? arg).toUpperCase();
      return withSite(config, async (site) => {
        await revokeApiToken(site.store, site.log, actor, id);
        io.out(`revoked API token ${id}`);
        return 0;
      });
    }
    default:
      throw new TresorError('E_USAGE', sub ? `unknown token command "${sub}"\n${TOKEN_USAGE}` : TOKEN_USAGE);
  }
};
