import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApiToken } from '../src/auth/index.ts';
import { TresorError, type ErrorCode } from '../src/core/errors.ts';
import { EXIT_STATUS, exitStatusOf } from '../src/cli/exit.ts';
import { HTTP_STATUS } from '../src/web/errors.ts';
import { ERROR_LABELS } from '../views/error-labels.ts';
import { cli, ROOT, testConfig } from './helpers/site.ts';
import { browser, makeUser, PASSWORD, webSite, type WebSite } from './helpers/web.ts';
import type { Config } from '../src/config/index.ts';

// One error path (issue 10 item 3): every code has an HTTP status, a CLI exit status and a
// console label in German and English; the API answers {"error":{"code","message"}}, the
// console a page in the reader's language, the CLI `tresor: CODE: message` with exit 2
// for "call it differently" and 1 otherwise; a 500 never shows its message or a stack.

const source = readFileSync(join(ROOT, 'src/core/errors.ts'), 'utf8');
/** the codes as the type declares them, read from the source (not from any of the tables) */
const declared = (() => {
  const union = source.slice(source.indexOf('export type ErrorCode ='), source.indexOf('export class TresorError'));
  return [...union.matchAll(/^\s*\| '(E_[A-Z_]+)'/gm)].map((m) => m[1]!).sort();
})();
const sorted = (o: object) => Object.keys(o).sort();

describe('the error code tables', () => {
  it('every_declared_code_has_an_http_status_an_exit_status_and_a_german_and_an_english_label', () => {
    assert.ok(declared.length >= 40, `found ${declared.length} codes`);
    assert.deepEqual(sorted(HTTP_STATUS), declared, 'HTTP status table (src/web/errors.ts)');
    assert.deepEqual(sorted(EXIT_STATUS), declared, 'exit status table (src/cli/exit.ts)');
    for (const lang of ['en', 'de'] as const) assert.deepEqual(sorted(ERROR_LABELS[lang]), declared, `${lang} labels (views/error-labels.ts)`);
    for (const code of declared as ErrorCode[]) {
      const status = HTTP_STATUS[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
      assert.ok(EXIT_STATUS[code] === 1 || EXIT_STATUS[code] === 2, code);
      assert.ok(ERROR_LABELS.en[code].trim() && ERROR_LABELS.de[code].trim(), `${code} has both labels`);
      assert.notEqual(ERROR_LABELS.de[code], ERROR_LABELS.en[code], `${code}: the German label is not the English one`);
    }
  });

  it('the_documented_table_in_core_errors_says_what_the_status_and_exit_tables_do', () => {
    const rows = new Map([...source.matchAll(/^\/\/ \| (E_[A-Z_]+)\s*\| (\d{3})\s*\| (\d)\s*\|/gm)].map((m) => [m[1]!, [Number(m[2]), Number(m[3])]]));
    assert.deepEqual([...rows.keys()].sort(), declared, 'one documented row per code');
    for (const code of declared as ErrorCode[]) assert.deepEqual(rows.get(code), [HTTP_STATUS[code], EXIT_STATUS[code]], code);
  });

  it('keeps_the_codes_that_are_contracts', () => {
    // quarantine reasons (reason.json) and the codes the README names
    for (const code of ['E_EMPTY_FILE', 'E_TOO_LARGE', 'E_UNSUPPORTED_FORMAT', 'E_DECODE_FAILED', 'E_NO_AUDIO', 'E_TRUNCATED', 'E_BAD_HEADER',
      'E_FFMPEG_TIMEOUT', 'E_NOT_REGULAR_FILE', 'E_SIDECAR_INVALID', 'E_DISK_FULL', 'E_NO_ARCHIVE', 'E_INDEX_DAMAGED', 'E_ROTATION_UNFINISHED']) {
      assert.ok(declared.includes(code), code);
    }
  });

  it('exit_status_is_2_for_calling_it_differently_and_1_for_everything_else', () => {
    for (const code of declared as ErrorCode[]) {
      const want = ['E_USAGE', 'E_INVALID', 'E_NEEDS_EXCLUSIVE'].includes(code) ? 2 : 1;
      assert.equal(exitStatusOf(new TresorError(code, 'x')), want, code);
    }
    assert.equal(exitStatusOf(new Error('a defect')), 1);
  });
});

describe('one error path on the web', () => {
  let w: WebSite;
  let call: string;
  let damaged: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    w = await webSite();
    for (const r of ['supervisor', 'auditor', 'dpo'] as const) {
      await makeUser(w, r, [r]);
      tokens[r] = (await createApiToken(w.site.store, w.site.log, 'cli:test', r, 'test')).token;
    }
    call = await w.ingestCall('in-4930123456-015112345678-20261127-142501-1764250000.1.wav', { seconds: 2, source: 'noise' });
    damaged = await w.ingestCall('in-4930123456-015112345679-20261127-152501-1764250001.2.wav', { seconds: 3, source: 'noise' });
  });
  after(() => w?.close());

  const api = (role: string | null, path: string, init: RequestInit = {}) =>
    w.app.request(path, { ...init, headers: { Host: 'tresor.test', ...(role ? { Authorization: `Bearer ${tokens[role]}` } : {}), ...(init.headers ?? {}) } });
  const errorOf = async (res: Response) => {
    const body = await res.json() as { error: { code: string; message: string } };
    assert.deepEqual(Object.keys(body), ['error']);
    assert.deepEqual(Object.keys(body.error), ['code', 'message']);
    return body.error;
  };

  it('api_errors_are_code_and_message_at_the_status_of_the_code', async () => {
    const cases: [string | null, string, RequestInit, number, string, RegExp][] = [
      ['supervisor', '/api/recordings?colour=red', {}, 400, 'E_INVALID', /unknown parameter "colour"/],
      ['supervisor', '/api/recordings?from=2026-02-30', {}, 400, 'E_INVALID', /not a date/],
      [null, '/api/recordings', {}, 401, 'E_UNAUTHENTICATED', /Bearer/],
      ['auditor', '/api/recordings?number=015112345678', {}, 403, 'E_FORBIDDEN', /may not/],
      ['auditor', `/api/recordings/${call}/audio`, {}, 403, 'E_FORBIDDEN', /may not/],
      ['supervisor', '/api/recordings/01ZZZZZZZZZZZZZZZZZZZZZZZZ', {}, 404, 'E_NOT_FOUND', /no recording/],
      ['supervisor', '/api/no-such-thing', {}, 404, 'E_NOT_FOUND', /no such endpoint/],
      ['supervisor', '/api/recordings', { method: 'POST', body: 'x=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 405, 'E_READ_ONLY', /read-only/],
      ['dpo', '/api/log/entries?start=5&end=2', {}, 400, 'E_INVALID', /before start/],
      ['dpo', '/api/log/proof/inclusion?index=9&size=999999', {}, 400, 'E_INVALID', /beyond the log size/],
    ];
    for (const [role, path, init, status, code, message] of cases) {
      const res = await api(role, path, init);
      assert.equal(res.status, status, `${role} ${path}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/, path);
      const e = await errorOf(res);
      assert.equal(e.code, code, path);
      assert.match(e.message, message, path);
    }
    assert.equal((await api(null, '/api/recordings')).headers.get('WWW-Authenticate'), 'Bearer');
    assert.equal((await api('supervisor', '/api/recordings', { method: 'DELETE' })).headers.get('Allow'), 'GET, HEAD');
  });

  it('a_500_says_its_code_and_nothing_else_in_the_api_and_on_a_german_page', async () => {
    // a real fault: one byte of the stored call changed on disk
    const dir = join(w.config.dataDir, 'archive');
    const [seg] = readdirSync(dir);
    const size = statSync(join(dir, seg!)).size;
    const fd = openSync(join(dir, seg!), 'r+');
    const at = size - 200; // inside the last record (the second call's)
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, at);
    closeSync(fd);

    const res = await api('supervisor', `/api/recordings/${damaged}/audio`);
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text), { error: { code: 'E_INTEGRITY', message: 'internal error' } });

    const de = browser(w);
    await de.login('supervisor');
    const page = await de.get(`/recordings/${damaged}/download`, { 'Accept-Language': 'de-DE,de;q=0.9' });
    assert.equal(page.status, 500);
    const html = await page.text();
    assert.match(html, /<html lang="de">/);
    assert.match(html, /<h1>Gespeicherte Daten sind beschädigt<\/h1>/);
    assert.match(html, /Journal des Dienstes/);
    for (const leak of [/checksum|does not match|record at/i, /\n\s+at /, new RegExp(w.config.dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))]) {
      assert.doesNotMatch(text, leak, 'API');
      assert.doesNotMatch(html, leak, 'page');
    }
    // the undamaged call still plays
    assert.equal((await api('supervisor', `/api/recordings/${call}/audio`)).status, 200);
  });

  it('console_errors_are_a_page_headed_by_the_label_of_the_code_in_the_readers_language', async () => {
    const de = browser(w);
    await de.login('supervisor');
    const en = browser(w);
    await en.login('supervisor');
    const ghost = '/recordings/01ZZZZZZZZZZZZZZZZZZZZZZZZ';
    for (const [b, lang, heading, said] of [[de, 'de-DE,de;q=0.9,en;q=0.5', 'Nicht gefunden', 'Keine Aufnahme'], [en, 'en-GB,en;q=0.9', 'Not found', 'no recording']] as const) {
      const res = await b.get(ghost, { 'Accept-Language': lang });
      assert.equal(res.status, 404);
      const html = await res.text();
      assert.match(html, new RegExp(`<html lang="${lang.slice(0, 2)}">`));
      assert.match(html, new RegExp(`<h1>${heading}</h1>`));
      // the message in the reader's language too (views/messages.ts), naming what was asked for
      assert.match(html, new RegExp(`role="alert">${said} 01ZZZZZZZZZZZZZZZZZZZZZZZZ`), 'the message names what was asked for');
    }
    // refused by the permission table (E_FORBIDDEN), and an unknown page (E_NOT_FOUND)
    const users = await de.get('/admin/users', { 'Accept-Language': 'de' });
    assert.equal(users.status, 403);
    assert.match(await users.text(), /<h1>Ihre Rolle erlaubt das nicht<\/h1>/);
    const nowhere = await de.get('/nowhere', { 'Accept-Language': 'de' });
    assert.equal(nowhere.status, 404);
    assert.match(await nowhere.text(), /<h1>Nicht gefunden<\/h1>/);
    // before anyone is known (a body over the limit): the browser's language
    const big = await w.app.request('/login', {
      method: 'POST', body: 'x'.repeat(w.config.web.maxBodyKiB * 1024 + 1),
      headers: { Host: 'tresor.test', Origin: 'http://tresor.test', 'Content-Type': 'application/x-www-form-urlencoded', 'Accept-Language': 'de' },
    });
    assert.equal(big.status, 413);
    assert.match(await big.text(), /<h1>Zu groß<\/h1>/);
  });
});

describe('one error path in the CLI', () => {
  let c: Config;
  before(async () => {
    c = testConfig();
    assert.equal((await cli(c, ['init'])).code, 0);
  });

  it('prints_tresor_code_message_and_exits_by_the_code', async () => {
    const cases: [string[], string | undefined, number, RegExp][] = [
      [['frobnicate'], undefined, 2, /^tresor: E_USAGE: unknown command "frobnicate"/],
      [['list', '--colour', 'red'], undefined, 2, /^tresor: E_USAGE: Unknown option '--colour'/],
      [['list', '--until', '2026-02-30'], undefined, 2, /^tresor: E_INVALID: --until: "2026-02-30" is not a date/],
      [['show', '01ZZZZZZZZZZZZZZZZZZZZZZZZ'], undefined, 1, /^tresor: E_NOT_FOUND: no recording 01ZZZZZZZZZZZZZZZZZZZZZZZZ/],
      [['user', 'add', '--name', 'sam', '--role', 'auditor', '--password-stdin'], PASSWORD, 0, /added user sam/],
      [['user', 'add', '--name', 'sam', '--role', 'auditor', '--password-stdin'], PASSWORD, 1, /^tresor: E_EXISTS: a user "sam" exists already/],
      [['approve', '01ZZZZZZZZZZZZZZZZZZZZZZZZ'], undefined, 1, /^tresor: E_NOT_FOUND: no approval request/],
    ];
    for (const [args, input, code, said] of cases) {
      const r = await cli(c, args, { input: input ?? '' });
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(code === 0 ? r.stdout : r.stderr, said, args.join(' '));
    }
  });
});
