process.env.TZ = 'Europe/Berlin';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSidecar, parseRfc3339, MAX_SIDECAR_BYTES } from '../src/ingest/sidecar.ts';
import { buildMetadata } from '../src/ingest/metadata.ts';

const DE = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };
const MTIME = Date.parse('2026-12-01T08:00:00Z');
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

test('parseSidecar_fullDocument_readsEveryField', () => {
  const { fields, errors } = parseSidecar(json({
    callId: 'abc-1', start: '2026-11-27T14:25:01+01:00', direction: 'out', from: '201', to: '030 123456',
    agent: 'Anna', queue: 'support', purpose: 'quality',
    consent: { state: 'granted', method: 'ivr-dtmf', at: '2026-11-27T14:25:05.250+01:00', evidence: 'pressed 1' },
    tags: ['vip', 'complaint'],
  }));
  assert.deepEqual(errors, []);
  assert.deepEqual(fields, {
    callId: 'abc-1', start: Date.parse('2026-11-27T13:25:01Z'), direction: 'out', from: '201', to: '030 123456',
    agent: 'Anna', queue: 'support', purpose: 'quality',
    consent: { state: 'granted', method: 'ivr-dtmf', at: '2026-11-27T13:25:05.250Z', evidence: 'pressed 1' },
    tags: ['vip', 'complaint'],
  });
});

test('parseSidecar_unknownFields_keptInExtra', () => {
  const { fields, errors } = parseSidecar(Buffer.from(
    '{"crmTicket":"T-9","nested":{"a":[1,2]},"consent":{"state":"denied","recordedBy":"ivr"},"__proto__":{"polluted":true}}',
  ));
  assert.deepEqual(errors, []);
  assert.equal(fields.extra?.crmTicket, 'T-9');
  assert.deepEqual(fields.extra?.nested, { a: [1, 2] });
  assert.deepEqual(fields.extra?.consent, { recordedBy: 'ivr' });
  assert.deepEqual(fields.consent, { state: 'denied' });
  // `__proto__` stays a plain key; nothing is polluted
  assert.ok(Object.prototype.hasOwnProperty.call(fields.extra, '__proto__'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(fields.extra), Object.prototype);
});

test('parseSidecar_wrongTypes_reportsEveryErrorWithoutEchoingValues', () => {
  const { errors } = parseSidecar(json({
    callId: 17, start: '2026-11-27 14:25:01', direction: 'sideways', from: 4915112345678, tags: 'vip',
    consent: { state: 'maybe' }, agent: ['x'],
  }));
  assert.equal(errors.length, 7, errors.join('\n'));
  for (const field of ['callId', 'start', 'direction', 'from', 'tags', 'consent.state', 'agent']) {
    assert.ok(errors.some((e) => e.startsWith(`${field}:`)), field);
  }
  assert.ok(!errors.join(' ').includes('4915112345678'), 'personal values are not echoed');
});

test('parseSidecar_consentWrongTypes_reported', () => {
  const { errors } = parseSidecar(json({ consent: { state: 'granted', method: 1, at: 'yesterday' } }));
  assert.deepEqual(errors.map((e) => e.split(':')[0]), ['consent.method', 'consent.at']);
  assert.ok(parseSidecar(json({ consent: 17 })).errors[0]?.startsWith('consent:'));
});

test('parseSidecar_nulls_countAsNotGiven', () => {
  const { fields, errors } = parseSidecar(json({ from: null, consent: null, tags: null, start: null }));
  assert.deepEqual(errors, []);
  assert.deepEqual(fields, {});
});

test('parseSidecar_badDocuments_errorsNotThrows', () => {
  const bad = [
    Buffer.from('{"from": "0301'), Buffer.from('[1,2]'), Buffer.from('"x"'), Buffer.from('null'),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xe4, 0x22, 0x7d]), // Latin-1 "ä"
    Buffer.alloc(MAX_SIDECAR_BYTES + 1, 0x20), Buffer.alloc(0), Buffer.from('['.repeat(30000)),
  ];
  for (const b of bad) {
    const r = parseSidecar(b);
    assert.equal(r.errors.length, 1, b.subarray(0, 20).toString());
    assert.deepEqual(r.fields, {});
  }
  assert.ok(!parseSidecar(Buffer.from('{"from": "0301')).errors[0]?.includes('0301'));
});

test('parseSidecar_directionSynonymsFromCrms_accepted', () => {
  const cases: [unknown, string][] = [
    ['in', 'in'], ['inbound', 'in'], ['Incoming', 'in'], [' INBOUND ', 'in'], ['eingehend', 'in'],
    ['out', 'out'], ['outbound', 'out'], ['Outgoing', 'out'], ['ausgehend', 'out'],
    ['internal', 'internal'], ['intern', 'internal'], ['local', 'internal'], ['unknown', 'unknown'],
  ];
  for (const [given, want] of cases) {
    const r = parseSidecar(json({ direction: given }));
    assert.deepEqual(r.errors, [], String(given));
    assert.equal(r.fields.direction, want, String(given));
  }
  assert.equal(parseSidecar(json({ direction: '' })).fields.direction, undefined, 'empty is not given');
});

test('parseSidecar_consentSynonymsFromCrms_accepted', () => {
  const cases: [unknown, string][] = [
    ['granted', 'granted'], ['yes', 'granted'], ['Y', 'granted'], [true, 'granted'], ['ja', 'granted'], ['opt-in', 'granted'], ['accepted', 'granted'],
    ['denied', 'denied'], ['no', 'denied'], ['N', 'denied'], [false, 'denied'], ['nein', 'denied'], ['opt-out', 'denied'], ['refused', 'denied'], ['declined', 'denied'],
    ['unknown', 'unknown'], ['not asked', 'unknown'], ['pending', 'unknown'],
  ];
  for (const [given, want] of cases) {
    const r = parseSidecar(json({ consent: { state: given } }));
    assert.deepEqual(r.errors, [], String(given));
    assert.equal(r.fields.consent?.state, want, String(given));
    // the short form many CRMs write: "consent": "yes"
    const short = parseSidecar(json({ consent: given }));
    assert.deepEqual(short.errors, [], `short ${String(given)}`);
    assert.equal(short.fields.consent?.state, want, `short ${String(given)}`);
  }
});

test('parseSidecar_reallyAmbiguousValues_stillRefused', () => {
  for (const direction of ['both', 'transfer', 'callback', 'in/out', 'x']) {
    const r = parseSidecar(json({ direction }));
    assert.equal(r.errors.length, 1, direction);
    assert.match(r.errors[0]!, /^direction: .*inbound/, 'the error says what is accepted');
  }
  for (const state of ['maybe', 'partial', 'none', 'sometimes', 1]) {
    const r = parseSidecar(json({ consent: { state } }));
    assert.equal(r.errors.length, 1, String(state));
    assert.match(r.errors[0]!, /^consent\.state: /);
  }
});

test('parseSidecar_overLongOrBinaryValues_refusedByField', () => {
  const r = parseSidecar(json({ queue: 'q'.repeat(3000), agent: 'Anna\u0000\u0001', callId: 'ok', tags: ['a', 'b\u001b[2J'] }));
  assert.deepEqual(r.errors.map((e) => e.split(':')[0]).sort(), ['agent', 'queue', 'tags']);
  assert.match(r.errors.find((e) => e.startsWith('queue'))!, /longer than 256 characters/);
  assert.match(r.errors.find((e) => e.startsWith('agent'))!, /control characters/);
  assert.ok(!r.errors.join(' ').includes('Anna'), 'values are not echoed');
  // 256 characters are fine, also when each takes 4 bytes
  assert.deepEqual(parseSidecar(json({ queue: '𝄞'.repeat(256) })).errors, []);
  assert.equal(parseSidecar(json({ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) })).errors.length, 1);
});

test('parseSidecar_deepNesting_refusedWithoutOverflowingTheStack', () => {
  for (const doc of [`{"extra":${'['.repeat(32_000)}${']'.repeat(32_000)}}`, `{"a":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`]) {
    const r = parseSidecar(Buffer.from(doc));
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0]!, /nested deeper than 16 levels/);
  }
  // brackets inside strings do not count
  assert.deepEqual(parseSidecar(json({ note: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[' })).errors, []);
  assert.deepEqual(parseSidecar(json({ a: { b: { c: [[1]] } } })).errors, []);
});

test('parseSidecar_utf8Bom_accepted', () => {
  const r = parseSidecar(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json({ agent: 'Jürgen' })]));
  assert.deepEqual(r.errors, []);
  assert.equal(r.fields.agent, 'Jürgen');
});

test('parseRfc3339_forms_andInvalidDates', () => {
  assert.equal(parseRfc3339('2026-11-27T13:25:01Z'), Date.parse('2026-11-27T13:25:01Z'));
  assert.equal(parseRfc3339('2026-11-27t13:25:01.5z'), Date.parse('2026-11-27T13:25:01.500Z'));
  assert.equal(parseRfc3339('2026-11-27 09:25:01-04:00'), Date.parse('2026-11-27T13:25:01Z'));
  assert.equal(parseRfc3339('2026-11-27T13:25:01.123456789Z'), Date.parse('2026-11-27T13:25:01.123Z'));
  assert.equal(parseRfc3339('2016-12-31T23:59:60Z'), Date.parse('2016-12-31T23:59:59.999Z'));
  for (const s of ['2026-02-29T00:00:00Z', '2026-11-27T13:25:01', '2026-11-27', '2026-13-01T00:00:00Z', '2026-11-27T24:00:00Z', '']) {
    assert.equal(parseRfc3339(s), undefined, s);
  }
});

test('buildMetadata_sidecarOverridesName_numbersNormalised', () => {
  const side = parseSidecar(json({
    from: '0049 151 12345678', direction: 'out', start: '2026-11-27T14:30:00+01:00', agent: 'Anna',
    consent: { state: 'granted', method: 'announcement' }, tags: ['x'], crm: 7,
  }));
  const m = buildMetadata('2026/11/27/in-4930123456-015199999999-20261127-142501-1764250000.12.wav', MTIME, side.fields, DE);
  assert.equal(m.nameFormat, 'freepbx');
  assert.equal(m.from, '+4915112345678');
  assert.equal(m.to, '+4930123456'); // sidecar silent: the name's value stays
  assert.equal(m.callId, '1764250000.12');
  assert.equal(m.direction, 'out');
  assert.equal(m.start, Date.parse('2026-11-27T13:30:00Z'));
  assert.equal(m.agent, 'Anna');
  assert.deepEqual(m.consent, { state: 'granted', method: 'announcement' });
  assert.deepEqual(m.tags, ['x']);
  assert.deepEqual(m.extra, { crm: 7 });
});

test('buildMetadata_genericNameWithSidecarStart_isNotFromMtime', () => {
  const m = buildMetadata('rec.wav', MTIME, { start: 1_700_000_000_000, to: '030 123456' }, DE);
  assert.equal(m.nameFormat, 'generic');
  assert.equal(m.start, 1_700_000_000_000);
  assert.equal(m.startFromMtime, false);
  assert.equal(m.to, '+4930123456');
});

test('buildMetadata_noSidecar_defaults', () => {
  const m = buildMetadata('rec.wav', MTIME, null, DE);
  assert.deepEqual(m, {
    start: MTIME, direction: 'unknown', consent: { state: 'unknown' }, tags: [], extra: {},
    nameFormat: 'generic', startFromMtime: true,
  });
});

test('buildMetadata_sidecarSaysAnonymous_removesNameNumber', () => {
  const m = buildMetadata('in-4930123456-015112345678-20261127-142501-1.1.wav', MTIME, { from: 'anonymous' }, DE);
  assert.equal(m.from, undefined);
  assert.ok(!('from' in m));
});
