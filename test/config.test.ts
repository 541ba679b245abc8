import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../src/config/index.ts';

test('config_defaults_work_with_no_file_and_no_environment', () => {
  const c = loadConfig({});
  assert.equal(c.dataDir, resolve('./data'));
  assert.equal(c.inbox, resolve('./data/inbox'));
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.ingest.disposition, 'delete');
  assert.equal(c.ingest.storeFormat, 'opus');
});

test('config_environment_overrides_the_file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-cfg-'));
  const file = join(dir, 'tresor.json');
  writeFileSync(file, JSON.stringify({ port: 9000, dataDir: '/srv/a', ingest: { workers: 4 } }));
  const c = loadConfig({ TRESOR_CONFIG: file, TRESOR_PORT: '9100', TRESOR_DATA_DIR: '/srv/b', TRESOR_INBOX: '/mnt/pbx' });
  assert.equal(c.port, 9100);
  assert.equal(c.dataDir, '/srv/b');
  assert.equal(c.inbox, '/mnt/pbx');
  assert.equal(c.ingest.workers, 4);
});

test('config_reports_every_error_at_once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tresor-cfg-'));
  const file = join(dir, 'tresor.json');
  writeFileSync(file, JSON.stringify({ port: 'x', ingest: { workers: 0, disposition: 'shred', settleSecs: 3 }, phone: { countryCode: '+49' } }));
  assert.throws(() => loadConfig({ TRESOR_CONFIG: file }), (e: any) => {
    assert.equal(e.code, 'E_CONFIG');
    for (const want of ['port: expected number', 'ingest.workers', 'ingest.disposition', 'ingest.settleSecs: unknown setting', 'phone.countryCode']) {
      assert.match(e.message, new RegExp(want.replace(/[.]/g, '\\.')), want);
    }
    return true;
  });
});

test('config_unreadable_file_is_a_clear_error', () => {
  assert.throws(() => loadConfig({ TRESOR_CONFIG: '/nonexistent/tresor.json' }), /cannot read config file \/nonexistent\/tresor.json/);
});
