import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, rmSync, chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openKeyring } from '../src/crypto/index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'tresor-keys-'));

test('keyring_first_start_creates_private_keys_and_wraps_deks', () => {
  const dir = tmp();
  const k = openKeyring(dir, false, {});
  for (const f of ['kek', 'log-signing', 'index-secret']) assert.equal(statSync(join(dir, 'keys', f)).mode & 0o777, 0o600, f);
  assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700);
  // no DEK leaves the keyring: a sealer's wrapped key, stored under an id, opens what it sealed
  const plain = randomBytes(1000);
  const sealer = k.sealFor('r1');
  const sealed = sealer.seal(plain);
  const table = new Map([['r1', sealer.wrapped]]);
  assert.deepEqual(openKeyring(dir, true, {}, table).openRecording('r1').open(sealed), plain);
  const again = openKeyring(dir, true, {}, table);
  assert.deepEqual(again.fingerprints, k.fingerprints);
  assert.deepEqual(again.openRecording('r1').open(sealed), plain);
});

test('keyring_missing_key_with_existing_archive_refuses_to_start', () => {
  const dir = tmp();
  openKeyring(dir, false, {});
  rmSync(join(dir, 'keys', 'kek'));
  assert.throws(() => openKeyring(dir, true, {}), (e: any) => e.code === 'E_KEYS_MISSING' && /Refusing to start/.test(e.message));
});

test('keyring_key_readable_by_others_is_refused', () => {
  const dir = tmp();
  openKeyring(dir, false, {});
  chmodSync(join(dir, 'keys', 'kek'), 0o644);
  assert.throws(() => openKeyring(dir, true, {}), /readable by others/);
});

test('keyring_reads_systemd_credentials_and_uses_the_newest_kek_epoch', () => {
  const dir = tmp();
  const cred = join(dir, 'cred');
  mkdirSync(cred);
  const old = openKeyring(join(dir, 'old'), false, {});
  writeFileSync(join(cred, 'tresor-kek'), `1 ${randomBytes(32).toString('base64')}\n2 ${randomBytes(32).toString('base64')}\n`);
  writeFileSync(join(cred, 'tresor-log-signing'), randomBytes(32).toString('base64'));
  writeFileSync(join(cred, 'tresor-index-secret'), randomBytes(32).toString('base64'));
  const k = openKeyring(join(dir, 'data'), true, { CREDENTIALS_DIRECTORY: cred });
  assert.equal(k.source.kind, 'systemd-credentials');
  assert.equal(k.currentEpoch, 2);
  const w = old.sealFor('r1').wrapped;
  assert.throws(() => openKeyring(join(dir, 'data'), true, { CREDENTIALS_DIRECTORY: cred }, new Map([['r1', w]])).openRecording('r1'), /does not unwrap|no key-encryption key/);
});

test('keyring_systemd_credentials_incomplete_fails_closed_even_for_a_new_archive', () => {
  const dir = tmp();
  const cred = join(dir, 'cred');
  mkdirSync(cred);
  writeFileSync(join(cred, 'tresor-kek'), `1 ${randomBytes(32).toString('base64')}\n`);
  assert.throws(() => openKeyring(join(dir, 'data'), false, { CREDENTIALS_DIRECTORY: cred }), /log-signing, index-secret/);
});

test('keyring_tokens_are_stable_per_site_and_differ_between_sites', () => {
  const a = openKeyring(tmp(), false, {});
  const b = openKeyring(tmp(), false, {});
  assert.equal(a.tokenize('phone', '+4930123456'), a.tokenize('phone', '+4930123456'));
  assert.notEqual(a.tokenize('phone', '+4930123456'), b.tokenize('phone', '+4930123456'));
  assert.notEqual(a.tokenize('phone', '+4930123456'), a.tokenize('agent', '+4930123456'));
});

test('keyring_misnamed_kek_credential_fails_closed_instead_of_creating_keys_in_the_data_dir', () => {
  const dir = tmp();
  const cred = join(dir, 'cred');
  mkdirSync(cred);
  // LoadCredential=kek:… instead of tresor-kek: the other two arrive under their right names
  writeFileSync(join(cred, 'kek'), `1 ${randomBytes(32).toString('base64')}\n`);
  writeFileSync(join(cred, 'tresor-log-signing'), `${randomBytes(32).toString('base64')}\n`);
  writeFileSync(join(cred, 'tresor-index-secret'), `${randomBytes(32).toString('base64')}\n`);
  assert.throws(() => openKeyring(join(dir, 'data'), false, { CREDENTIALS_DIRECTORY: cred }), /kek/);
  assert.throws(() => statSync(join(dir, 'data', 'keys')), /ENOENT/, 'no fresh keys were made beside the archive');
});

test('keyring_seals_small_secrets_per_context_and_only_its_own_keys_open_them', () => {
  const dir = tmp();
  const k = openKeyring(dir, false, {});
  const sealed = k.sealSecret('totp:dora', 'JBSWY3DPEHPK3PXP');
  assert.ok(sealed.startsWith('s1.') && !sealed.includes('JBSWY3DPEHPK3PXP'));
  assert.notEqual(k.sealSecret('totp:dora', 'JBSWY3DPEHPK3PXP'), sealed, 'a fresh nonce each time');
  assert.equal(openKeyring(dir, true, {}).openSecret('totp:dora', sealed), 'JBSWY3DPEHPK3PXP', 'opens after a restart');
  assert.throws(() => k.openSecret('totp:mallory', sealed), (e: any) => e.code === 'E_CRYPTO', 'copied into another row it does not open');
  assert.throws(() => k.openSecret('totp:dora', sealed.slice(0, -2) + 'AA'), (e: any) => e.code === 'E_CRYPTO', 'tampered');
  assert.throws(() => openKeyring(tmp(), false, {}).openSecret('totp:dora', sealed), (e: any) => e.code === 'E_CRYPTO', 'another site\'s keys');
});
