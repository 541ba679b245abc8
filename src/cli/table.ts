import type { Command } from './args.ts';

/** A command whose file is imported when it runs: each start loads only what its command needs (issue 15, item 1: start-up time). */
const lazy = (load: () => Promise<Command>): Command => async (args, ctx) => (await load())(args, ctx);

/**
 * The command table: what each command runs and its usage lines, the only source of both
 * `tresor --help` (all lines, in this order) and `tresor COMMAND --help` (its own lines).
 */
export interface CommandEntry {
  run: Command;
  /** Usage lines as the overview prints them (without `tresor `; continuation lines start with spaces). */
  usage: string;
}

export const commands: Record<string, CommandEntry> = {
  serve: { run: lazy(async () => (await import('./serve.ts')).serveCmd), usage: 'serve                              run the appliance (inbox watcher + console); creates the archive on first start' },
  init: { run: lazy(async () => (await import('./commands.ts')).initCmd), usage: 'init                               create the archive (keys, index, log) without starting the service' },
  ingest: { run: lazy(async () => (await import('./commands.ts')).ingestCmd), usage: 'ingest FILE… [--dispose keep|delete|move]   one-shot ingest (default: keep the files)' },
  status: { run: lazy(async () => (await import('./commands.ts')).statusCmd), usage: 'status [--json]                    archive, ingest, quarantine, log, disk' },
  list: {
    run: lazy(async () => (await import('./commands.ts')).listCmd),
    usage: `list [--json] [--since DATE] [--until DATE] [--number N] [--agent NAME-PART…]
     [--customer-id C] [--tag T] [--purpose P] [--queue Q] [--direction in|out|internal] [--limit N]`,
  },
  show: { run: lazy(async () => (await import('./commands.ts')).showCmd), usage: 'show ID [--json]                   metadata of one recording (logged)' },
  extract: { run: lazy(async () => (await import('./commands.ts')).extractCmd), usage: 'extract ID --out FILE [--format stored|wav]   decrypted audio (logged)' },
  consent: { run: lazy(async () => (await import('./consent.ts')).consentCmd), usage: `consent show ID [--json] | consent review [--json]   consent state and evidence (logged) | calls whose consent is unknown
consent decide [--dry-run] [--json]   the unknown-consent decision after consent.unknownDays (consent.unknownAction)` },
  speech: {
    run: lazy(async () => (await import('./speech.ts')).speechCmd),
    usage: `speech import-model DIR [--json]    copy a model folder (sherpa-onnx keyword spotter or PocketSphinx) in, by its SHA-256 bundle hash; never downloads
speech status [--json]             engine, model hash in use, whether it can run here and why not, works-council switches
speech switch speech-analysis|transcription|agent-statistics on|off --reason R   works-council switch (§ 87(1) no. 6 BetrVG; logged)
speech lock --reason R | speech unlock --reason R   lock the switches; unlocking needs a second person`,
  },
  alerts: { run: lazy(async () => (await import('./alerts.ts')).alertsCmd), usage: 'alerts list [--json] [--all] | alerts ack ID   raised alerts (issue 14); acknowledge one' },
  fsck: { run: lazy(async () => (await import('./commands.ts')).fsckCmd), usage: 'fsck                               check every record, key, segment and the log' },
  quarantine: { run: lazy(async () => (await import('./commands.ts')).quarantineCmd), usage: 'quarantine list [--json] | quarantine restore ID --out FILE | quarantine retry ID [--sidecar FILE]' },
  inbox: { run: lazy(async () => (await import('./inbox.ts')).inboxCmd), usage: "inbox locate REF                   which inbox file the journal's reference REF names" },
  audit: {
    run: lazy(async () => (await import('./commands.ts')).auditCmd),
    usage: `audit verify | audit export --out DIR [--since FILE] [--from N] | audit checkpoint
audit verifier --out DIR           the auditor's verifier (verify.mjs, verify.html) and its SHA-256
audit cosign-request --out FILE [--old N] | audit cosign-import FILE   witness by files (air gap)
audit bundle (--ids A,B | --hold ID) --case REF --out DIR [--password] [--recipient-key HEX] [--lang de|en] [--approval ID]   evidence bundle`,
  },
  witness: {
    run: lazy(async () => (await import('./witness.ts')).witnessCmd),
    usage: `witness serve --key FILE --state DIR --port P --log-vkey VKEY… | witness vkey --key FILE
witness sign REQUEST_FILE --key FILE --state DIR --log-vkey VKEY… [--out FILE]   a C2SP witness (no archive needed)`,
  },
  purge: { run: lazy(async () => (await import('./retention.ts')).purgeCmd), usage: 'purge [--dry-run] [--confirm-clock] [--json]   crypto-shred what retention says is due' },
  retention: {
    run: lazy(async () => (await import('./retention.ts')).retentionCmd),
    usage: `retention why ID | retention policies [--json] | retention reevaluate
retention set NAME --keep D [--queue Q…] [--lock] [--reason R [--grace-days N]] | retention remove NAME
                                   change a policy; one that makes calls due earlier needs a second person`,
  },
  user: {
    run: lazy(async () => (await import('./users.ts')).userCmd),
    usage: `user add --name N --role R [--role R…] --password-stdin   (password on stdin)
user list [--json] | user disable|enable --name N | user roles --name N --role R…
user reset-password --name N --password-stdin | user totp|totp-remove --name N`,
  },
  token: { run: lazy(async () => (await import('./users.ts')).tokenCmd), usage: 'token create --user N [--label L] | token list [--user N] [--json] | token revoke ID' },
  hold: {
    run: lazy(async () => (await import('./holds.ts')).holdCmd),
    usage: `hold add [ID…] [--number N] [--agent A] [--queue Q] [--direction D] [--since DATE] [--until DATE]
     --case NAME --reason R     legal hold by ids and/or saved search (future calls too)
hold list [--json] | hold release HOLD_ID --reason R   (release needs a second person)`,
  },
  approvals: { run: lazy(async () => (await import('./holds.ts')).approvalsCmd), usage: 'approvals [list] [--json] | approvals show ID   what waiting four-eyes requests would do' },
  approve: { run: lazy(async () => (await import('./holds.ts')).approveCmd), usage: "approve APPROVAL_ID [--reject] [--note N]   decide another person's four-eyes request" },
  delete: { run: lazy(async () => (await import('./holds.ts')).deleteCmd), usage: "delete request ID… --reason R      early deletion (needs a second person's approval)" },
  subject: { run: lazy(async () => (await import('./privacy.ts')).subjectCmd), usage: 'subject find (--number N | --customer-id C) [--json]   where a data subject appears (logged)' },
  request: {
    run: lazy(async () => (await import('./privacy.ts')).requestCmd),
    usage: `request open --kind K (--number N | --customer-id C) [--received DATE] [--channel C] [--json]
     kinds: access rectification erasure restriction objection consent-withdrawal complaint
request list [--open] [--overdue] [--json] | request show ID [--json] | request verify ID --method M
request extend ID --months 1|2 --reason R --notified DATE | request close ID --outcome answered|refused [--reason R]
request package ID --list [--json] | --exclude CALL --reason third-party-data|trade-secret|other-rights [--note T] | --out DIR [--lang de|en] [--wav]`,
  },
  objection: { run: lazy(async () => (await import('./objections.ts')).objectionCmd), usage: 'objection add (--number N | --customer-id C) --scope record|analytics [--request ID] [--json] | objection list [--json] | objection remove ID' },
  recording: { run: lazy(async () => (await import('./recording.ts')).recordingCmd), usage: 'recording restrict ID --reason K [--request ID] | recording unrestrict ID --notified DATE   Art. 18 restriction' },
  compact: { run: lazy(async () => (await import('./maintenance.ts')).compactCmd), usage: 'compact [--min-dead 0.2] [--skip-index]   rewrite segments with purged records, then the index (service stopped)' },
  keys: { run: lazy(async () => (await import('./maintenance.ts')).keysCmd), usage: 'keys rotate [--skip-index-compaction]   new KEK epoch, rewrap data keys, delete old epochs' },
  index: { run: lazy(async () => (await import('./maintenance.ts')).indexCmd), usage: 'index rebuild                      a new index for an archive whose index is lost or damaged (says what it cannot recover)' },
  reindex: { run: lazy(async () => (await import('./maintenance.ts')).reindexCmd), usage: 'reindex [--json]                   add the search entries older calls lack (agent name parts, tags, purpose); logged, safe to repeat' },
};
