import { userInfo } from 'node:os';
import { describeSource, loadSettings } from '../config/index.ts';
import { isTresorError, TresorError } from '../core/errors.ts';
import type { Io } from './args.ts';
import { commands } from './commands.ts';
import { terminalSafe } from './terminal.ts';
import { errorLine, exitStatusOf } from './exit.ts';
import { enableWriterWaitNotices } from '../store/index.ts';

export const USAGE = `usage: tresor <command> [options]

  serve                              run the appliance (inbox watcher + console); creates the archive on first start
  init                               create the archive (keys, index, log) without starting the service
  ingest FILE… [--dispose keep|delete|move]   one-shot ingest (default: keep the files)
  status [--json]                    archive, ingest, quarantine, log, disk
  list [--json] [--since DATE] [--until DATE] [--number N] [--agent A]
       [--queue Q] [--direction in|out|internal] [--limit N]
  show ID [--json]                   metadata of one recording (logged)
  extract ID --out FILE [--format stored|wav]   decrypted audio (logged)
  alerts list [--json] [--all] | alerts ack ID   raised alerts (issue 14); acknowledge one
  fsck                               check every record, key, segment and the log
  quarantine list [--json] | quarantine restore ID --out FILE | quarantine retry ID [--sidecar FILE]
  inbox locate REF                   which inbox file the journal's reference REF names
  audit verify | audit export --out DIR [--since FILE] [--from N] | audit checkpoint
  audit verifier --out DIR           the auditor's verifier (verify.mjs, verify.html) and its SHA-256
  audit cosign-request --out FILE [--old N] | audit cosign-import FILE   witness by files (air gap)
  audit bundle (--ids A,B | --hold ID) --case REF --out DIR [--password] [--lang de|en] [--approval ID]   evidence bundle
  witness serve --key FILE --state DIR --port P --log-vkey VKEY… | witness vkey --key FILE
  witness sign REQUEST_FILE --key FILE --state DIR --log-vkey VKEY… [--out FILE]   a C2SP witness (no archive needed)
  purge [--dry-run] [--confirm-clock] [--json]   crypto-shred what retention says is due
  retention why ID | retention policies [--json] | retention reevaluate
  retention set NAME --keep D [--queue Q…] [--lock] [--reason R [--grace-days N]] | retention remove NAME
                                     change a policy; one that makes calls due earlier needs a second person
  user add --name N --role R [--role R…] --password-stdin   (password on stdin)
  user list [--json] | user disable|enable --name N | user roles --name N --role R…
  user reset-password --name N --password-stdin | user totp|totp-remove --name N
  token create --user N [--label L] | token list [--user N] [--json] | token revoke ID
  hold add [ID…] [--number N] [--agent A] [--queue Q] [--direction D] [--since DATE] [--until DATE]
       --case NAME --reason R     legal hold by ids and/or saved search (future calls too)
  hold list [--json] | hold release HOLD_ID --reason R   (release needs a second person)
  approvals [list] [--json] | approvals show ID   what waiting four-eyes requests would do
  approve APPROVAL_ID [--reject] [--note N]   decide another person's four-eyes request
  delete request ID… --reason R      early deletion (needs a second person's approval)
  subject find (--number N | --customer-id C) [--json]   where a data subject appears (logged)
  request open --kind K (--number N | --customer-id C) [--received DATE] [--channel C] [--json]
       kinds: access rectification erasure restriction objection consent-withdrawal complaint
  request list [--open] [--overdue] [--json] | request show ID [--json] | request verify ID --method M
  request extend ID --months 1|2 --reason R --notified DATE | request close ID --outcome answered|refused [--reason R]
  objection add (--number N | --customer-id C) --scope record|analytics [--request ID] [--json] | objection list [--json] | objection remove ID
  consent show ID [--json] | consent review [--json] | consent decide [--dry-run] [--json]
                                     consent evidence; the unknown-consent list and its decision (consent.unknownAction)
  recording restrict ID --reason K [--request ID] | recording unrestrict ID --notified DATE   Art. 18 restriction
  compact [--min-dead 0.2] [--skip-index]   rewrite segments with purged records, then the index (service stopped)
  keys rotate [--skip-index-compaction]   new KEK epoch, rewrap data keys, delete old epochs
  index rebuild                      a new index for an archive whose index is lost or damaged (says what it cannot recover)

settings: TRESOR_CONFIG (JSON file; else /etc/tresor/tresor.json if it exists), TRESOR_DATA_DIR,
TRESOR_INBOX, TRESOR_HOST, TRESOR_PORT, TRESOR_FFMPEG. Only serve and init create an archive. Reads of recordings and changes to users are logged as
cli:<your user>. Roles: admin, supervisor, dpo, auditor.`;

export async function runCli(argv: string[], sink: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') }): Promise<number> {
  // Every line any command prints passes here: stored text (names, sidecar fields,
  // quarantine reasons) never reaches the terminal with its control characters.
  const io: Io = { out: (s) => sink.out(terminalSafe(s)), err: (s) => sink.err(terminalSafe(s)) };
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(USAGE);
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    const e = new TresorError('E_USAGE', `unknown command "${name}"\n\n${USAGE}`);
    io.err(errorLine(e));
    return exitStatusOf(e);
  }
  // a command that waits for another process's write lock says so (index/writer-wait.ts)
  if (name !== 'serve') enableWriterWaitNotices();
  let settings: ReturnType<typeof loadSettings> | undefined;
  try {
    settings = loadSettings();
    return await cmd(rest, { ...settings, actor: `cli:${userInfo().username}`, io });
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
