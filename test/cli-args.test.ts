// The CLI's argument parser (src/cli/args.ts), shared by every command file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../src/cli/args.ts';
import { isTresorError } from '../src/core/errors.ts';

const options = { json: { type: 'boolean' }, out: { type: 'string' }, role: { type: 'string', multiple: true }, name: { type: 'string', short: 'n' } } as const;

test('cli_args_parse_reads_flags_values_repeated_options_and_positionals', () => {
  const { values, positionals } = parse(['show', 'ID1', '--json', '--out', 'x.wav', '--role', 'dpo', '--role=auditor', '-n', 'anna'], options);
  assert.deepEqual(positionals, ['show', 'ID1']);
  assert.deepEqual({ ...values }, { json: true, out: 'x.wav', role: ['dpo', 'auditor'], name: 'anna' });
});

test('cli_args_an_unknown_option_or_a_missing_value_is_a_usage_error_not_a_crash', () => {
  // E_USAGE: runCli prints it and exits 2
  for (const [args, why] of [[['--bogus'], /Unknown option '--bogus'/], [['--out'], /--out <value>' argument missing/], [['--json=yes'], /does not take an argument/]] as const) {
    assert.throws(() => parse([...args], options), (e) => isTresorError(e, 'E_USAGE') && why.test(e.message), args.join(' '));
  }
});
