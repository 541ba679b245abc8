import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateZipPassword, writeZip } from '../src/documents/zip.ts';

// The package ZIP (issue 11 item 3): stored entries, streamed to a file, AES-256 with a
// generated password that a real reader (7-Zip) accepts and a wrong one does not open.

const has7z = spawnSync('7z', ['i'], { stdio: 'ignore' }).status === 0;

describe('zip writer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-zip-'));
  const a = join(dir, 'a.opus');
  const b = join(dir, 'b.json');
  writeFileSync(a, randomBytes(300_000));
  writeFileSync(b, '{"x":1}\n');

  it('generates long passwords without look-alike characters', () => {
    const p = generateZipPassword();
    assert.equal(p.length, 20);
    assert.match(p, /^[a-km-zA-HJ-NP-Z2-9]+$/);
    assert.notEqual(p, generateZipPassword());
  });

  it('stores (no deflate): the archive is about as large as its files', async () => {
    const zip = join(dir, 'plain.zip');
    const r = await writeZip(zip, [{ name: 'calls/a.opus', path: a }, { name: 'b.json', path: b }]);
    assert.equal(r.bytes, statSync(zip).size);
    assert.ok(r.bytes >= 300_000 && r.bytes < 301_000, String(r.bytes));
  });

  it('AES-256: 7z accepts the password and refuses a wrong one', { skip: has7z ? false : '7z (p7zip-full) is not installed' }, async () => {
    const zip = join(dir, 'aes.zip');
    const password = generateZipPassword();
    await writeZip(zip, [{ name: 'calls/a.opus', path: a }, { name: 'b.json', path: b }], { password });
    const ok = spawnSync('7z', ['t', `-p${password}`, zip], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /Everything is Ok/);
    const out = join(dir, 'x');
    assert.equal(spawnSync('7z', ['x', `-p${password}`, `-o${out}`, zip], { encoding: 'utf8' }).status, 0);
    assert.deepEqual(readFileSync(join(out, 'calls/a.opus')), readFileSync(a));
    const bad = spawnSync('7z', ['t', '-pwrong-password', zip], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0, bad.stdout);
    const tech = spawnSync('7z', ['l', '-slt', `-p${password}`, zip], { encoding: 'utf8' }).stdout;
    assert.match(tech, /Method = AES-256 Store/);
  });
});
