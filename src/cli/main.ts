import { userInfo } from 'node:os';
import { describeSource, loadSettings } from '../config/index.ts';
import { isTresorError, TresorError } from '../core/errors.ts';
import type { Io } from './args.ts';
import { commands } from './table.ts';
import { terminalSafe } from './terminal.ts';
import { errorLine, exitStatusOf } from './exit.ts';
import { enableWriterWaitNotices } from '../store/index.ts';

const SETTINGS = `settings: TRESOR_CONFIG (JSON file; else /etc/tresor/tresor.json if it exists), TRESOR_DATA_DIR,
TRESOR_INBOX, TRESOR_HOST, TRESOR_PORT, TRESOR_FFMPEG. Only serve and init create an archive. Reads of recordings and changes to users are logged as
cli:<your user>. Roles: admin, supervisor, dpo, auditor.`;

const indent = (usage: string): string => usage.split('\n').map((l) => `  ${l}`).join('\n');

/** `tresor --help`: every command's usage lines, from the command table (table.ts). */
export const USAGE = `usage: tresor <command> [options]   (tresor <command> --help: that command alone)

${Object.values(commands).map((c) => indent(c.usage)).join('\n')}

${SETTINGS}`;

/** `tresor COMMAND --help` and `tresor help COMMAND`: that command's lines and the settings. */
export const usageOf = (name: string): string => `usage: tresor ${name} …\n\n${indent(commands[name]!.usage)}\n\n${SETTINGS}`;

/** --help or -h anywhere before a `--` asks for help (a value cannot start with a dash: args.ts's parser refuses it). */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

export async function runCli(argv: string[], sink: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  // Every line any command prints passes here: stored text (names, sidecar fields,
  // quarantine reasons) never reaches the terminal with its control characters.
  const io: Io = { out: (s) => sink.out(terminalSafe(s)), err: (s) => sink.err(terminalSafe(s)) };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || (name === 'help' && !rest.length)) {
    io.out(USAGE);
    return name ? 0 : 2;
  }
  const topic = name === 'help' ? rest[0]! : name;
  const cmd = Object.hasOwn(commands, topic) ? commands[topic] : undefined;
  if (!cmd) {
    const e = new TresorError('E_USAGE', `unknown command "${topic}"\n\n${USAGE}`);
    io.err(errorLine(e));
    return exitStatusOf(e);
  }
  if (name === 'help' || asksForHelp(rest)) {
    io.out(usageOf(topic));
    return 0;
  }
  // a command that waits for another process's write lock says so (index/writer-wait.ts)
  if (name !== 'serve') enableWriterWaitNotices();
  let settings: ReturnType<typeof loadSettings> | undefined;
  try {
    settings = loadSettings();
    return await cmd.run(rest, { ...settings, actor: `cli:${userInfo().username}`, io });
  } catch (e) {
    if (isTresorError(e, 'E_NO_ARCHIVE') && settings) {
      io.err(`${errorLine(e)}. Looked at:\n${describeSource(settings.source, settings.config).map((l) => `  - ${l}`).join('\n')}\n` +
        'Run `tresor init` to create an archive there, or point TRESOR_CONFIG or TRESOR_DATA_DIR at the existing one ' +
        `(an installed box keeps its settings in ${settings.source.systemConfig}).`);
      return exitStatusOf(e);
    }
    // `tresor: CODE: message`, exit status by code (src/cli/exit.ts)
    if (isTresorError(e)) {
      io.err(errorLine(e));
      return exitStatusOf(e);
    }
    io.err(`tresor: E_INTERNAL: unexpected error: ${(e as Error).stack ?? e}`);
    return exitStatusOf(e);
  }
}
