import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { otpauthUri, TOTP_ISSUER } from '../src/auth/index.ts';
import { browser, csrfOf, makeUser, webSite } from './helpers/web.ts';

// Issue 15 item 8: TOTP enrolment shows a QR code of the otpauth:// link, made on the box,
// inline SVG (the CSP allows no scripts). Read back as a phone would: the SVG cut out of the
// page the console serves, rasterised by ffmpeg, decoded by zbarimg (zbar-tools).
const have = (cmd: string, arg: string) => spawnSync(cmd, [arg]).error === undefined;
const missing = [['zbarimg', '--version', 'zbar-tools'], ['ffmpeg', '-version', 'ffmpeg']]
  .filter(([c, a]) => !have(c!, a!)).map(([c, , p]) => `${c} missing (apt-get install ${p})`);
const skip = missing.length ? missing.join('; ') : false;

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** The text of the QR code inside the page's #totp-qr element. */
function qrOfPage(html: string): string {
  const m = /id="totp-qr">(<svg[\s\S]*?<\/svg>)/.exec(html);
  assert.ok(m, 'the enrolment page has an inline SVG QR code');
  assert.doesNotMatch(m[1]!, /<script|href=|data:/, 'the SVG is plain markup');
  const dir = mkdtempSync(join(tmpdir(), 'tresor-totp-qr-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'qr.svg'), m[1]!);
  const png = spawnSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', join(dir, 'qr.svg'), join(dir, 'qr.png')], { encoding: 'utf8' });
  assert.equal(png.status, 0, png.stderr);
  const r = spawnSync('zbarimg', ['--raw', '-q', join(dir, 'qr.png')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `zbarimg read no code: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}

test('the account page TOTP enrolment shows a QR code that holds the exact otpauth URI', { skip }, async () => {
  const w = await webSite();
  try {
    await makeUser(w, 'dora', ['dpo']);
    const b = browser(w);
    assert.equal((await b.login('dora')).status, 303);
    assert.equal((await b.post('/account/totp/start')).status, 303);
    const res = await b.get('/account/totp');
    assert.equal(res.status, 200);
    const csp = res.headers.get('Content-Security-Policy') ?? '';
    assert.match(csp, /script-src 'self'/, 'the strict CSP is on this page');
    const html = await res.text();
    const secret = /secret=([A-Z2-7]+)/.exec(html)![1]!;
    assert.equal(qrOfPage(html), otpauthUri(TOTP_ISSUER, 'dora', secret));
    assert.match(html, /<title>QR code of the setup link/, 'the SVG has an accessible name');
  } finally {
    await w.close();
  }
});

test('the first sign-in TOTP enrolment (German) shows the same kind of QR code', { skip }, async () => {
  const w = await webSite((c) => { c.auth.requireTotpForPrivileged = true; });
  try {
    await makeUser(w, 'ada', ['admin']);
    const b = browser(w);
    const page = await b.get('/login', { 'Accept-Language': 'de' });
    b.csrf = csrfOf(await page.text());
    const res = await b.post('/login', { name: 'ada', password: 'correct horse battery staple' }, { 'Accept-Language': 'de' });
    assert.equal(res.status, 200, 'the enrolment page, no session yet');
    const html = await res.text();
    const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(html)![1]!.replaceAll(' ', '');
    assert.equal(qrOfPage(html), otpauthUri(TOTP_ISSUER, 'ada', secret));
    assert.match(html, /Scannen Sie den QR-Code/);
  } finally {
    await w.close();
  }
});
