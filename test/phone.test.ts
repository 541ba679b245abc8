import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeNumber } from '../src/core/phone.ts';

const DE = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };
const US = { countryCode: '1', nationalPrefix: '1', internationalPrefix: '011' };

test('normalizeNumber_pbxForms_becomeE164', () => {
  const table: Array<[string, string]> = [
    ['+4930123456', '+4930123456'],
    ['+49 30 123456', '+4930123456'],
    ['+49 (0)30 123456', '+4930123456'],
    ['004930123456', '+4930123456'],
    ['0049-30-123456', '+4930123456'],
    ['030 123456', '+4930123456'],
    ['(030) 123-456', '+4930123456'],
    ['030/123456', '+4930123456'],
    ['015112345678', '+4915112345678'],
    ['0044 20 7946 0000', '+442079460000'],
    ['+1 212 555 1234', '+12125551234'],
    // trunks often deliver our own country's numbers without "+"
    ['4930123456', '+4930123456'],
    ['tel:+4930123456', '+4930123456'],
  ];
  for (const [raw, want] of table) assert.equal(normalizeNumber(raw, DE), want, raw);
});

test('normalizeNumber_shortExtensions_stayUnprefixed', () => {
  for (const ext of ['201', '20', '0', '123456']) assert.equal(normalizeNumber(ext, DE), ext);
  assert.equal(normalizeNumber('sip:201@pbx.local', DE), '201');
});

test('normalizeNumber_noNumber_isUndefined', () => {
  for (const raw of ['', '  ', 's', 'anonymous', 'Anonymous', 'unknown', 'UNKNOWN', 'restricted', 'abc', '+', '--']) {
    assert.equal(normalizeNumber(raw, DE), undefined, JSON.stringify(raw));
  }
});

test('normalizeNumber_longNumberWithoutPrefix_keptAsDigitsNotGuessed', () => {
  // a local number dialled without area code: we cannot know the area, so keep what we got
  assert.equal(normalizeNumber('12345678', DE), '12345678');
  assert.equal(normalizeNumber('3012345678', DE), '3012345678');
});

test('normalizeNumber_otherCountryConfig_usesItsPrefixes', () => {
  assert.equal(normalizeNumber('1 212 555 1234', US), '+12125551234');
  assert.equal(normalizeNumber('011 49 30 123456', US), '+4930123456');
  assert.equal(normalizeNumber('201', US), '201');
});

test('normalizeNumber_oddInput_neverThrows', () => {
  const odd = ['\u0000', '😀', '+'.repeat(100), '9'.repeat(40), '%2F..%2F', '[201]', '(0)', undefined as unknown as string];
  for (const raw of odd) assert.doesNotThrow(() => normalizeNumber(raw, DE));
  // too long for E.164: kept as written rather than invented
  assert.equal(normalizeNumber('+' + '9'.repeat(20), DE), '+' + '9'.repeat(20));
});
