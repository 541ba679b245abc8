// Issue 15, item 1: the CLI's manners, through the real scripts/tresor (test/helpers/run.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { tresor } from './helpers/run.ts';
import { configFile, envFor, testConfig, TRESOR } from './helpers/site.ts';
import type { Config } from '../src/config/index.ts';

test('cli_command_help_prints_that_commands_usage_and_exits_0', async () => {
  const c = testConfig();
  for (const args of [['status', '--help'], ['help', 'status'], ['status', '-h']]) {
    const r = await tresor(c, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '', args.join(' '));
    assert.match(r.stdout, /^usage: tresor status/m);
    assert.match(r.stdout, /status \[--json\] +archive, ingest, quarantine, log, disk/);
    assert.doesNotMatch(r.stdout, /^ {2}list /m, 'only the command asked about');
  }
  // a command with subcommands and options that would otherwise be a parser error
  const r = await tresor(c, ['user', 'add', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /user add --name N --role R/);
  assert.doesNotMatch(r.stdout, /E_USAGE|Unknown option/);
});

test('cli_overall_help_lists_every_command_and_exits_0_unknown_stays_a_usage_error', async () => {
  const c = testConfig();
  const r = await tresor(c, ['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const name of ['serve', 'status', 'list', 'consent', 'witness', 'index']) assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'), name);
  const bogus = await tresor(c, ['help', 'bogus']);
  assert.equal(bogus.code, 2);
  assert.match(bogus.stderr, /E_USAGE: unknown command "bogus"/);
  const none = await tresor(c, []);
  assert.equal(none.code, 2, 'no command at all is still a usage error');
});

/** Runs the CLI with stdout a pipe whose reading end is closed at once (what `| head -1` does once it has its line). */
function withClosedStdout(c: Config, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(TRESOR, args, { env: envFor(c, configFile(c)), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.destroy();
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

test('cli_output_into_a_closed_pipe_exits_quietly_without_an_epipe_stack', async () => {
  const c = testConfig();
  assert.equal((await tresor(c, ['init'])).code, 0);
  for (const args of [['list'], ['--help'], ['user', 'list']]) {
    const r = await withClosedStdout(c, args);
    assert.doesNotMatch(r.stderr, /EPIPE|Error|\n\s+at /, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.code, 0, args.join(' '));
  }
});
