import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { before, describe, it } from 'node:test';
import { cli, testConfig, type CliResult } from './helpers/site.ts';
import { openSite } from '../src/site/open.ts';
import { getUser, openTotp, ROLE_GRANT_KIND } from '../src/auth/index.ts';
import { requestApproval } from '../src/approvals/index.ts';
import { verifyPassword } from '../src/auth/passwords.ts';
import type { Config } from '../src/config/index.ts';

// `tresor user …` and `tresor token …` as an administrator at the box's shell uses them:
// passwords on stdin only, tokens printed once, bad input refused with exit code 2,
// the last administrator protected, every change logged as cli:<os user> without secrets.

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a different long passphrase';

function run(c: Config, args: string[], input?: string): Promise<CliResult> {
  return cli(c, args, { input: input ?? '' });
}

interface UserJson { name: string; roles: string[]; disabled: boolean; totp: boolean; createdBy: string }

describe('tresor user / token', () => {
  let c: Config;
  let tokenSecret = '';
  const users = async () => {
    const r = await cli(c, ['user', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as UserJson[];
  };

  before(async () => {
    c = testConfig();
    assert.equal((await cli(c, ['init'])).code, 0, 'only serve and init create an archive');
  });
  it('adds a user with the password from stdin; user list --json shows it (without secrets)', async () => {
    let r = await run(c, ['user', 'add', '--name', 'boss', '--role', 'admin', '--password-stdin'], PASSWORD + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added user boss \(admin\)/);
    r = await run(c, ['user', 'add', '--name', 'sam', '--role', 'supervisor', '--role', 'auditor', '--password-stdin'], PASSWORD);
    assert.equal(r.code, 0, r.stderr);
    const list = await cli(c, ['user', 'list', '--json']);
    assert.ok(!list.stdout.includes('scrypt') && !list.stdout.includes('passwordHash'));
    const sam = (await users()).find((u) => u.name === 'sam')!;
    assert.deepEqual(sam.roles, ['supervisor', 'auditor']);
    assert.equal(sam.disabled, false);
    assert.equal(sam.totp, false);
    assert.equal(sam.createdBy, `cli:${userInfo().username}`);
    const text = await cli(c, ['user', 'list']);
    assert.match(text.stdout, /^sam\tsupervisor,auditor\tenabled\toff\t/m);
  });

  it('refuses bad input with exit code 2 and a clear message', async () => {
    let r = await run(c, ['user', 'add', '--name', 'x', '--role', 'wizard', '--password-stdin'], PASSWORD);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown role "wizard" \(admin, supervisor, dpo, auditor\)/);
    r = await run(c, ['user', 'add', '--name', 'x', '--role', 'auditor', '--password-stdin'], '');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no password on stdin/);
    r = await run(c, ['user', 'add', '--name', 'x', '--role', 'auditor', '--password-stdin'], 'short\n');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /at least 12 characters/);
    r = await run(c, ['user', 'add', '--name', 'x', '--role', 'auditor'], PASSWORD);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--password-stdin/);
    r = await run(c, ['user', 'add', '--name', 'Not OK', '--role', 'auditor', '--password-stdin'], PASSWORD);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /user name is 1-64 characters/);
    r = await run(c, ['user', 'add', '--name', 'x', '--password-stdin'], PASSWORD);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /at least one role/);
    r = await run(c, ['user', 'roles', '--name', 'sam', '--role', 'root'], '');
    assert.equal(r.code, 2);
    r = await run(c, ['user', 'frobnicate'], '');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown user command "frobnicate"/);
    r = await run(c, ['user', 'disable', '--name', 'ghost'], '');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no user "ghost"/);
    assert.ok(!(await users()).some((u) => u.name === 'x'));
  });

  it('never disables or demotes the last enabled administrator', async () => {
    let r = await cli(c, ['user', 'disable', '--name', 'boss']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /last enabled administrator/);
    r = await cli(c, ['user', 'roles', '--name', 'boss', '--role', 'auditor']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /last enabled administrator/);
    const boss = (await users()).find((u) => u.name === 'boss')!;
    assert.deepEqual(boss.roles, ['admin']);
    assert.equal(boss.disabled, false);
    // with a second admin the first may step down
    assert.equal((await cli(c, ['user', 'roles', '--name', 'sam', '--role', 'admin', '--role', 'supervisor'])).code, 0);
    r = await cli(c, ['user', 'disable', '--name', 'sam']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await cli(c, ['user', 'roles', '--name', 'boss', '--role', 'auditor'])).code, 1, 'a disabled admin does not count');
    assert.equal((await cli(c, ['user', 'enable', '--name', 'sam'])).code, 0);
    r = await cli(c, ['user', 'roles', '--name', 'boss', '--role', 'admin', '--role', 'dpo']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await users()).find((u) => u.name === 'boss')!.roles, ['admin', 'dpo']);
  });

  it('token create prints the token once; token list never shows it; revoke works', async () => {
    let r = await cli(c, ['token', 'create', '--user', 'sam', '--label', 'siem']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'only the token on stdout');
    const token = lines[0]!;
    assert.match(token, /^tresor_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    assert.match(r.stderr, /only time it is shown/);
    const id = token.split('_')[1]!;
    const secret = token.slice(`tresor_${id}_`.length);
    for (const args of [['token', 'list'], ['token', 'list', '--json'], ['token', 'list', '--user', 'sam', '--json']]) {
      const l = await cli(c, args);
      assert.equal(l.code, 0);
      assert.ok(l.stdout.includes(id), `${args.join(' ')} lists the id`);
      assert.ok(!l.stdout.includes(secret), `${args.join(' ')} hides the secret`);
      assert.ok(!/secretSha256/.test(l.stdout));
    }
    const rows = JSON.parse((await cli(c, ['token', 'list', '--json'])).stdout) as { id: string; user: string; label: string; revokedAt: string | null }[];
    assert.deepEqual(rows.map((t) => [t.id, t.user, t.label, t.revokedAt]), [[id, 'sam', 'siem', null]]);
    assert.deepEqual(JSON.parse((await cli(c, ['token', 'list', '--user', 'boss', '--json'])).stdout), []);
    assert.equal((await cli(c, ['token', 'create', '--user', 'ghost'])).code, 1);
    assert.equal((await cli(c, ['token', 'create'])).code, 2);
    r = await cli(c, ['token', 'revoke', id]);
    assert.equal(r.code, 0, r.stderr);
    const after = JSON.parse((await cli(c, ['token', 'list', '--json'])).stdout) as { revokedAt: string | null }[];
    assert.ok(after[0]!.revokedAt);
    assert.equal((await cli(c, ['token', 'revoke', '01JZZZZZZZZZZZZZZZZZZZZZZZ'])).code, 1);
    tokenSecret = secret;
  });

  it('enrols and removes TOTP, resets a password; the log names cli:<user> and holds no secret', async () => {
    let r = await cli(c, ['user', 'totp', '--name', 'sam']);
    assert.equal(r.code, 0, r.stderr);
    const secret = /^secret ([A-Z2-7]+)$/m.exec(r.stdout)?.[1];
    assert.ok(secret);
    assert.match(r.stdout, new RegExp(`^uri +otpauth://totp/Tresor%3Asam\\?secret=${secret}&`, 'm'));
    assert.equal((await users()).find((u) => u.name === 'sam')!.totp, true);
    const sealed = openSite(c);
    try {
      // sealed by the keyring at rest (issue 16), and it opens to what was printed
      const row = getUser(sealed.store, 'sam')!;
      assert.ok(row.totpSecret!.startsWith('s1.') && !row.totpSecret!.includes(secret));
      assert.equal(openTotp(sealed.keys, row), secret);
    } finally {
      await sealed.close();
    }
    assert.equal((await cli(c, ['user', 'totp-remove', '--name', 'sam'])).code, 0);
    assert.equal((await users()).find((u) => u.name === 'sam')!.totp, false);

    r = await run(c, ['user', 'reset-password', '--name', 'sam', '--password-stdin'], NEW_PASSWORD + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await run(c, ['user', 'reset-password', '--name', 'sam', '--password-stdin'], '')).code, 2);

    const site = openSite(c);
    try {
      assert.ok(await verifyPassword(NEW_PASSWORD, getUser(site.store, 'sam')!.passwordHash));
      const lines = site.log.lines(0, site.log.size());
      const text = lines.join('\n');
      for (const s of [PASSWORD, NEW_PASSWORD, secret, tokenSecret, 'scrypt$']) {
        assert.ok(!text.includes(s), `log holds no ${s.slice(0, 8)}…`);
      }
      const mine = lines.map((l) => JSON.parse(l) as { actor: string; action: string; target: string })
        .filter((e) => e.target === 'user:sam' || e.action.startsWith('token.'));
      assert.ok(mine.length >= 8);
      for (const e of mine) assert.equal(e.actor, `cli:${userInfo().username}`);
      assert.deepEqual(
        [...new Set(mine.map((e) => e.action))].sort(),
        ['token.created', 'token.revoked', 'user.changed', 'user.created', 'user.disabled', 'user.enabled', 'user.password.reset', 'user.totp.enrolled', 'user.totp.removed'],
      );
    } finally {
      await site.close();
    }
  });

  it('the operator on the box decides a console role grant with tresor approve (the grant is applied, logged with the approval)', async () => {
    const site = openSite(c);
    let id = '';
    try {
      const a = await requestApproval(site.store, site.log, {
        kind: ROLE_GRANT_KIND, target: 'user:sam', by: 'user:boss', person: 'boss', reason: 'covers the DPO on leave',
        payload: { user: 'sam', roles: ['dpo'] }, beneficiaries: ['sam'],
      });
      id = a.id;
    } finally {
      await site.close();
    }
    const r = await cli(c, ['approve', id]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok((await users()).find((u) => u.name === 'sam')!.roles.includes('dpo'));
    const after = openSite(c);
    try {
      const e = after.log.about('target', 'user:sam', 5).find((x) => x.action === 'user.changed')!;
      assert.equal(e.detail.approval, id);
      assert.equal(e.actor, `cli:${userInfo().username}`);
    } finally {
      await after.close();
    }
  });
});
