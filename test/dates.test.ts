import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from './helpers/site.ts';
import { webSite } from './helpers/web.ts';
import { parseDateBound } from '../src/core/dates.ts';
import { fieldsOf, toQuery } from '../src/access/search-form.ts';
import { isTresorError } from '../src/core/errors.ts';
import type { Config } from '../src/config/index.ts';

// Issue 9, item 8: `tresor list --until 2026-11-27` read the date as UTC midnight and left
// out the whole day, while the console and `tresor hold` read the whole local day. One
// parser (src/core/dates.ts) for CLI, console and API. A zone where local is not UTC
// makes the difference visible (the CLI children inherit it).
process.env.TZ = 'Europe/Berlin';

const day = (y: number, m: number, d: number) => new Date(y, m - 1, d).getTime();

describe('dates', () => {
  it('dates_a_bare_date_is_the_whole_local_day_a_time_with_a_zone_is_exact_anything_else_is_refused', () => {
    assert.equal(parseDateBound('2026-11-27', 'start', 'since'), day(2026, 11, 27));
    assert.equal(parseDateBound('2026-11-27', 'end', 'until'), day(2026, 11, 28) - 1);
    assert.equal(day(2026, 11, 27), Date.parse('2026-11-26T23:00:00Z'), 'Berlin is UTC+1 in November');
    assert.equal(parseDateBound('2026-11-27T14:00:00Z', 'start', 'since'), Date.parse('2026-11-27T14:00:00Z'));
    assert.equal(parseDateBound('2026-11-27T14:00:00+01:00', 'end', 'until'), Date.parse('2026-11-27T13:00:00Z'));
    assert.equal(parseDateBound('2026-11-27T14:00', 'start', 'since'), new Date(2026, 10, 27, 14, 0).getTime(), 'no zone: box time');
    // DST: 29 March 2026 has 23 hours in Berlin
    assert.equal(parseDateBound('2026-03-29', 'end', 'until') - parseDateBound('2026-03-29', 'start', 'since') + 1, 23 * 3600_000);
    for (const bad of ['2026-02-30', '2026-13-01', '27.11.2026', 'yesterday', '1', '2026-11-27T25:00', '']) {
      assert.throws(() => parseDateBound(bad, 'start', '--since'), (e) => isTresorError(e, 'E_INVALID') && /--since: "[^"]*" is not a date \(2026-11-27, 2026-11-27T14:00 or 2026-11-27T14:00:00Z\)/.test(e.message), bad);
    }
  });

  it('dates_the_console_and_api_read_dates_with_the_same_parser', () => {
    const q = toQuery(fieldsOf({ from: '2026-11-27', to: '2026-11-27' }), { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' });
    assert.equal(q.fromMs, parseDateBound('2026-11-27', 'start', 'from'));
    assert.equal(q.toMs, parseDateBound('2026-11-27', 'end', 'to'));
    assert.throws(() => toQuery(fieldsOf({ to: '2026-02-30' }), { countryCode: '49', nationalPrefix: '0', internationalPrefix: '00' }), /to: "2026-02-30" is not a date/);
  });

  describe('the CLI', () => {
    let config: Config;
    const ids: Record<string, string> = {};
    before(async () => {
      const w = await webSite();
      // 00:30 local on the 27th is 23:30 UTC on the 26th; 14:25 is the middle of the day
      ids.early = await w.ingestCall('in-4930123456-015112345678-20261127-003000-1764250000.1.wav', { seconds: 1, source: 'noise' });
      ids.noon = await w.ingestCall('in-4930123456-015112345679-20261127-142500-1764250000.2.wav', { seconds: 1, source: 'noise' });
      ids.before = await w.ingestCall('in-4930123456-015112345670-20261126-120000-1764250000.3.wav', { seconds: 1, source: 'noise' });
      await w.close();
      config = w.config;
    });
    const list = async (...args: string[]) => {
      const r = await cli(config, ['list', '--json', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { id: string }[]).map((x) => x.id).sort();
    };

    it('cli_list_until_a_day_includes_that_whole_local_day_and_since_starts_at_its_local_midnight', async () => {
      assert.deepEqual(await list('--until', '2026-11-27'), [ids.early!, ids.noon!, ids.before!].sort());
      assert.deepEqual(await list('--since', '2026-11-27'), [ids.early!, ids.noon!].sort());
      assert.deepEqual(await list('--since', '2026-11-27', '--until', '2026-11-27'), [ids.early!, ids.noon!].sort());
      assert.deepEqual(await list('--until', '2026-11-26'), [ids.before!]);
      const bad = await cli(config, ['list', '--until', '2026-02-30']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--until: "2026-02-30" is not a date/);
    });

    it('cli_hold_reads_the_same_dates_as_list', async () => {
      const r = await cli(config, ['hold', 'add', '--since', '2026-11-27', '--until', '2026-11-27', '--case', 'K 1/26', '--reason', 'keep']);
      assert.equal(r.code, 0, r.stderr);
      const holds = JSON.parse((await cli(config, ['hold', 'list', '--json'])).stdout) as { search: { fromMs: number; toMs: number } }[];
      assert.equal(holds[0]!.search.fromMs, parseDateBound('2026-11-27', 'start', 'since'));
      assert.equal(holds[0]!.search.toMs, parseDateBound('2026-11-27', 'end', 'until'));
    });
  });
});
