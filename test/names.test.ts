// Name times are the PBX's local time, read in the process's zone: pin the zone here.
process.env.TZ = 'Europe/Berlin';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRecordingName, parseFreePbxName, parse3cxName, localTime } from '../src/ingest/names.ts';

const DE = { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' };
const MTIME = Date.parse('2026-12-01T08:00:00Z');
/** 2026-11-27 14:25:01 in Berlin (CET, UTC+1) */
const T142501 = Date.parse('2026-11-27T13:25:01Z');

test('parseRecordingName_freepbxInbound_readsToThenFromAndLocalTime', () => {
  const m = parseRecordingName('2026/11/27/in-4930123456-015112345678-20261127-142501-1764250000.12.wav', MTIME, DE);
  assert.equal(m.nameFormat, 'freepbx');
  assert.equal(m.direction, 'in');
  assert.equal(m.to, '+4930123456');
  assert.equal(m.from, '+4915112345678');
  assert.equal(m.callId, '1764250000.12');
  assert.equal(m.start, T142501);
  assert.equal(m.startFromMtime, false);
  assert.deepEqual(m.consent, { state: 'unknown' });
  assert.deepEqual(m.tags, []);
  assert.deepEqual(m.extra, {});
  assert.equal(m.queue, undefined);
});

test('parseRecordingName_freepbxTypes_mapToDirections', () => {
  const cases: Array<[string, string]> = [
    ['out', 'out'], ['external', 'out'], ['internal', 'internal'], ['q', 'in'], ['rg', 'in'],
    ['ondemand', 'unknown'], ['parked', 'unknown'], ['force', 'unknown'],
  ];
  for (const [type, direction] of cases) {
    const m = parseRecordingName(`${type}-202-201-20261127-142501-1764250000.1.wav`, MTIME, DE);
    assert.equal(m.nameFormat, 'freepbx', type);
    assert.equal(m.direction, direction, type);
  }
});

test('parseRecordingName_freepbxOutbound_extensionIsFrom', () => {
  const m = parseRecordingName('2026/11/27/out-015112345678-201-20261127-093000-1764232200.5.wav', MTIME, DE);
  assert.equal(m.direction, 'out');
  assert.equal(m.to, '+4915112345678');
  assert.equal(m.from, '201');
});

test('parseRecordingName_freepbxInternal_upperCaseWav49', () => {
  const m = parseRecordingName('internal-202-201-20261127-100000-1764234000.7.WAV', MTIME, DE);
  assert.equal(m.direction, 'internal');
  assert.equal(m.to, '202');
  assert.equal(m.from, '201');
});

test('parseRecordingName_freepbxQueue_toIsQueue', () => {
  const m = parseRecordingName('q-400-+4915112345678-20261127-110000-1764237600.9.wav', MTIME, DE);
  assert.equal(m.direction, 'in');
  assert.equal(m.queue, '400');
  assert.equal(m.to, '400');
  assert.equal(m.from, '+4915112345678');
});

test('parseRecordingName_freepbxNoCallerId_fromUnset', () => {
  for (const from of ['anonymous', '', 's']) {
    const m = parseRecordingName(`in-4930123456-${from}-20261127-142501-1764250000.12.wav`, MTIME, DE);
    assert.equal(m.nameFormat, 'freepbx');
    assert.equal(m.from, undefined, from);
    assert.equal(m.to, '+4930123456');
  }
});

test('parseRecordingName_freepbxImpossibleDate_fallsBackToGeneric', () => {
  const m = parseRecordingName('in-4930123456-201-20261131-142501-1764250000.12.wav', MTIME, DE);
  assert.equal(m.nameFormat, 'generic');
  assert.equal(m.start, MTIME);
  assert.equal(m.from, undefined);
});

// 3CX writes the CALLING party's display name in the brackets (names.ts cites the files):
// on an inbound call that is the customer, never the agent.
test('parseRecordingName_3cxInbound_bracketIsTheCallerNotTheAgent', () => {
  const m = parseRecordingName('[Erika Kundin]_+4930123456-201_20261127142501(42).wav', MTIME, DE);
  assert.equal(m.nameFormat, '3cx');
  assert.equal(m.agent, undefined, "the customer's name is no agent");
  assert.deepEqual(m.extra, { callerName: 'Erika Kundin' }, 'kept (sealed with the call), not dropped');
  assert.equal(m.agentExtension, '201', 'the called extension is the agent; the directory names it');
  assert.equal(m.from, '+4930123456');
  assert.equal(m.to, '201');
  assert.equal(m.direction, 'in');
  assert.equal(m.callId, '42');
  assert.equal(m.start, T142501);
  assert.equal(m.startFromMtime, false);
});

test('parseRecordingName_3cxSamplesAsPublished_whoIsWho', () => {
  // the three names of the CallCabinet 3CX import script (src/ingest/names.ts)
  const outNoName = parseRecordingName('[]_100-0836826436_20190211124709(2).wav', MTIME, DE);
  assert.equal(outNoName.direction, 'out');
  assert.equal(outNoName.agent, undefined);
  assert.equal(outNoName.agentExtension, '100');
  const inbound = parseRecordingName('[27836826436]_27836826436-100_20190211124743(3).wav', MTIME, DE);
  assert.equal(inbound.direction, 'in');
  assert.equal(inbound.agent, undefined, 'a number in the brackets is no name');
  assert.deepEqual(inbound.extra, {}, 'the number is already in from');
  assert.equal(inbound.agentExtension, '100');
  const outNamed = parseRecordingName('[Zinhle Phungula]_201-0114627554_20190219120918(380).wav', MTIME, DE);
  assert.equal(outNamed.direction, 'out');
  assert.equal(outNamed.agent, 'Zinhle Phungula', 'an extension calling out: the bracket is the agent');
  assert.equal(outNamed.agentExtension, '201');
});

test('parseRecordingName_freepbx_agentExtensionIsTheInternalSide', () => {
  assert.equal(parseRecordingName('in-201-4930123456-20261127-142501-1764250000.12.wav', MTIME, DE).agentExtension, '201');
  assert.equal(parseRecordingName('out-4930123456-202-20261127-142501-1764250000.12.wav', MTIME, DE).agentExtension, '202');
  // a queue call's "to" is the queue, not an agent
  assert.equal(parseRecordingName('q-600-4930123456-20261127-142501-1764250000.12.wav', MTIME, DE).agentExtension, undefined);
});

test('parseRecordingName_3cxDirection_fromWhichSideIsAnExtension', () => {
  const out = parseRecordingName('[Bob]_201-015112345678_20261127142501(7).wav', MTIME, DE);
  assert.equal(out.direction, 'out');
  assert.equal(out.to, '+4915112345678');
  const internal = parseRecordingName('[Bob]_201-202_20261127142501(8).wav', MTIME, DE);
  assert.equal(internal.direction, 'internal');
});

test('parseRecordingName_3cxOddAgentNames_keptLiterallyInNfc', () => {
  const nfd = 'Anna Mu\u0308ller';
  assert.equal(parseRecordingName(`[${nfd}]_201-202_20261127142501(1).wav`, MTIME, DE).agent, 'Anna Müller');
  assert.equal(parseRecordingName('[Team [A]]_201-202_20261127142501(1).wav', MTIME, DE).agent, 'Team [A]');
  // %-escapes are data, never decoded
  assert.equal(parseRecordingName('[A%2FB]_201-202_20261127142501(1).wav', MTIME, DE).agent, 'A%2FB');
});

test('parseRecordingName_unknownName_genericFromMtimeWithoutGuessingNumbers', () => {
  const m = parseRecordingName('exports/call 015112345678 to 4930123456.wav', MTIME, DE);
  assert.equal(m.nameFormat, 'generic');
  assert.equal(m.start, MTIME);
  assert.equal(m.startFromMtime, true);
  assert.equal(m.direction, 'unknown');
  assert.equal(m.from, undefined);
  assert.equal(m.to, undefined);
  assert.equal(m.callId, undefined);
});

test('parseRecordingName_hostileNames_neverThrowAndStayLiteral', () => {
  const names = [
    '', '/', '..', '../../etc/passwd', '2026/11/27/..%2F..%2Fetc%2Fpasswd.wav', '通话 录音 (1).wav',
    '[]_-_().wav', '[Anna]_201-202_20261127142501().wav', 'in-----.wav', 'in-a-b-20261127-142501-x.wav',
    '[' + 'x'.repeat(5000) + ']_1-2_20261127142501(1).wav', 'in-%2F..-201-20261127-142501-1.1.wav',
    'q-\u0000-\uFFFF-20261127-142501-1.1.wav',
  ];
  for (const n of names) {
    const m = parseRecordingName(n, MTIME, DE);
    assert.ok(['freepbx', '3cx', 'generic'].includes(m.nameFormat), n);
    assert.ok(Number.isFinite(m.start), n);
  }
  // a FreePBX name with `..`/`%2F` in a number slot: read, but never turned into a number
  const m = parseRecordingName('in-%2F..-201-20261127-142501-1.1.wav', MTIME, DE);
  assert.equal(m.nameFormat, 'freepbx');
  assert.equal(m.to, undefined);
  assert.equal(m.queue, undefined);
});

test('nameParsers_otherFormats_returnNull', () => {
  assert.equal(parseFreePbxName('[Anna]_201-202_20261127142501(1).wav', DE), null);
  assert.equal(parse3cxName('in-4930123456-201-20261127-142501-1.1.wav', DE), null);
  assert.equal(parseFreePbxName('call.wav', DE), null);
  assert.equal(parse3cxName('call.wav', DE), null);
});

test('localTime_dstAndInvalid_followTheProcessZone', () => {
  // summer time: UTC+2
  assert.equal(localTime('20260701120000'), Date.parse('2026-07-01T10:00:00Z'));
  assert.equal(localTime('20260229120000'), undefined); // 2026 is no leap year
  assert.equal(localTime('20261127246000'), undefined);
  assert.equal(localTime('00261127120000'), undefined);
});
