import { createWriteStream, existsSync, statfsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { TresorError, isTresorError } from '../core/errors.ts';
import { parseDateRange } from '../core/dates.ts';
import type { RecordingView } from '../core/types.ts';
import type { Config } from '../config/index.ts';
import { openSite, type Site } from '../site/open.ts';
import { fsck } from '../site/fsck.ts';
import { resolveFfmpeg, createMedia } from '../media/index.ts';
import type { IngestOutcome } from '../ingest/types.ts';
import { createIngestQueue } from '../ingest/queue.ts';
import { listQuarantine, restoreQuarantined, unlistedQuarantineFolders } from '../ingest/quarantine.ts';
import { retryQuarantinedWith } from '../ingest/retry.ts';
import { normalizeNumber } from '../core/index.ts';
import { createAccess, downloadWav, type Access } from '../access/index.ts';
import { cliPrincipal, type Principal } from '../auth/roles.ts';
import { auditCommand, bundleCommand, verifierCommand } from './audit.ts';
import { parse, type Command, type Io } from './args.ts';
import { withArchive, withWired } from './with-site.ts';
import { ingestGates } from '../site/wire.ts';

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function printTable(io: Io, rows: RecordingView[]): void {
  if (!rows.length) {
    io.out('no recordings match');
    return;
  }
  io.out(['ID', 'START (UTC)', 'DUR', 'DIR', 'FROM', 'TO', 'AGENT', 'QUEUE', 'CONSENT'].join('\t'));
  for (const r of rows) {
    io.out([r.id, r.start.slice(0, 19).replace('T', ' '), fmtDuration(r.durationMs), r.direction, r.from ?? (r.unreadable ? '(unreadable)' : '-'), r.to ?? '-', r.agent ?? '-', r.queue ?? '-', r.consent.state].join('\t'));
  }
}

export const ingestCmd: Command = async (args, { config, actor, io }) => {
  const { values, positionals } = parse(args, { dispose: { type: 'string' } });
  if (!positionals.length) throw new TresorError('E_USAGE', 'ingest: name at least one FILE');
  const dispose = values.dispose ?? 'keep';
  if (!['keep', 'delete', 'move'].includes(dispose)) throw new TresorError('E_INVALID', '--dispose: keep, delete or move');
  const cfg: Config = { ...config, ingest: { ...config.ingest, disposition: dispose as Config['ingest']['disposition'] } };
  const counts: Record<string, number> = {};
  let n = 0;
  const describe = (o: IngestOutcome): string => {
    switch (o.status) {
      case 'archived': return `archived as ${o.id} (${fmtDuration(o.durationMs)})`;
      case 'duplicate': return `duplicate of ${o.id}: not stored again`;
      case 'quarantined': return `QUARANTINED ${o.quarantineId}: ${o.code}: ${o.message}`;
      case 'deferred': return `NOT DONE (${o.code}): ${o.message}`;
      case 'rejected': return `REJECTED (${o.code}): ${o.message}`;
      case 'refused': return `REFUSED (${o.reason}, gate ${o.gate}): not archived, source destroyed`;
      case 'skipped': return `skipped: ${o.reason}`;
    }
  };
  await withWired(cfg, async (w) => {
    const queue = createIngestQueue(w.ingest(actor), {
      workers: cfg.ingest.workers,
      onOutcome(file, o) {
        counts[o.status] = (counts[o.status] ?? 0) + 1;
        io.out(`[${++n}/${positionals.length}] ${file.relPath}: ${describe(o)}`);
      },
      onError(file, e) {
        counts.error = (counts.error ?? 0) + 1;
        io.out(`[${++n}/${positionals.length}] ${file.relPath}: ERROR ${(e as Error).message}`);
      },
    });
    for (const p of positionals) {
      const path = resolve(p);
      const side = join(dirname(path), basename(path, extname(path)) + '.json');
      queue.push({ path, relPath: basename(path), sidecarPath: existsSync(side) && side !== path ? side : null });
    }
    await queue.idle();
    await w.site.log.checkpointNow();
  });
  io.out(Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', '));
  const ok = (counts.archived ?? 0) + (counts.duplicate ?? 0) + (counts.skipped ?? 0);
  return ok === positionals.length ? 0 : 1;
};

export const statusCmd: Command = async (args, { config, io }) => {
  const { values } = parse(args, { json: { type: 'boolean' } });
  return withArchive(config, async (site) => {
    const { store } = site;
    let storedBytes = 0;
    let durationMs = 0;
    let lastIngestedAt: number | null = null;
    for (const value of store.recordings.rows()) {
      storedBytes += value.length;
      durationMs += value.durationMs;
      lastIngestedAt = Math.max(lastIngestedAt ?? 0, value.ingestedAt);
    }
    const fs = statfsSync(config.dataDir);
    const quarantine = listQuarantine(store).map((q) => ({
      id: q.id, code: q.code, message: q.message, at: new Date(q.quarantinedAt).toISOString(), bytes: q.sourceBytes,
    }));
    const cp = site.log.latestCheckpoint();
    const s = {
      dataDir: config.dataDir,
      inbox: config.inbox,
      recordings: store.recordings.count(),
      hoursOfAudio: +(durationMs / 3600000).toFixed(2),
      archiveBytes: storedBytes,
      lastIngestedAt: lastIngestedAt ? new Date(lastIngestedAt).toISOString() : null,
      quarantine,
      unlistedQuarantineFolders: await unlistedQuarantineFolders(config.dataDir, store),
      inflight: store.inflight.count(),
      diskFreeBytes: Number(fs.bavail) * Number(fs.bsize),
      log: { size: site.log.size(), origin: site.meta.origin, checkpointSize: cp?.size ?? null },
      keys: site.keys.source.kind,
    };
    if (values.json) {
      io.out(JSON.stringify(s, null, 2));
      return 0;
    }
    io.out(`archive    ${s.dataDir}: ${s.recordings} recordings, ${s.hoursOfAudio} h of audio, ${(s.archiveBytes / 1048576).toFixed(1)} MiB`);
    io.out(`inbox      ${s.inbox}; last ingest ${s.lastIngestedAt ?? 'never'}${s.inflight ? `; ${s.inflight} in flight` : ''}`);
    io.out(`disk       ${(s.diskFreeBytes / 1073741824).toFixed(1)} GiB free`);
    io.out(`log        ${s.log.size} entries, origin ${s.log.origin}, last checkpoint at size ${s.log.checkpointSize ?? 'none'}`);
    io.out(`keys       from ${s.keys}`);
    io.out(`quarantine ${quarantine.length} file(s)${quarantine.length ? ':' : ''}`);
    for (const q of quarantine) io.out(`  ${q.id}  ${q.at}  ${q.code}  ${q.message}`);
    for (const f of s.unlistedQuarantineFolders) io.out(`  ${f}  (folder without index entry: interrupted quarantine, inspect by hand)`);
    return 0;
  });
};

export const listCmd: Command = async (args, { config, actor, io }) => {
  const { values } = parse(args, {
    json: { type: 'boolean' }, since: { type: 'string' }, until: { type: 'string' }, number: { type: 'string' },
    agent: { type: 'string' }, queue: { type: 'string' }, direction: { type: 'string' }, limit: { type: 'string' },
    tag: { type: 'string' }, purpose: { type: 'string' }, 'customer-id': { type: 'string' },
  });
  const number = values.number ? normalizeNumber(values.number, config.phone) : undefined;
  if (values.number && !number) throw new TresorError('E_INVALID', `--number: "${values.number}" is not a phone number`);
  if (values.direction && !['in', 'out', 'internal', 'unknown'].includes(values.direction)) throw new TresorError('E_INVALID', '--direction: in, out, internal or unknown');
  // the same dates as the console and `tresor hold`: --until 2026-11-27 includes that local day
  const range = parseDateRange(values.since, values.until, ['--since', '--until']);
  return withArchive(config, async (site, archive) => {
    const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });
    const { items: rows } = await access.search(cliPrincipal(actor), {
      ...range, number, agent: values.agent,
      ...(values.tag ? { tag: values.tag } : {}), ...(values.purpose ? { purpose: values.purpose } : {}),
      ...(values['customer-id'] !== undefined ? { customerId: values['customer-id'] } : {}),
      queue: values.queue, direction: values.direction as RecordingView['direction'] | undefined,
      limit: values.limit ? Number(values.limit) : 1000,
    });
    if (values.json) io.out(JSON.stringify(rows, null, 2));
    else printTable(io, rows);
    return 0;
  });
};

export const showCmd: Command = async (args, { config, actor, io }) => {
  const { values, positionals } = parse(args, { json: { type: 'boolean' } });
  if (positionals.length !== 1) throw new TresorError('E_USAGE', 'show: name one recording ID');
  return withArchive(config, async (site, archive) => {
    const v = await createAccess({ store: site.store, keys: site.keys, archive, log: site.log }).view(cliPrincipal(actor), positionals[0]!);
    if (values.json) io.out(JSON.stringify(v, null, 2));
    else for (const [k, val] of Object.entries(v)) io.out(`${k.padEnd(13)} ${typeof val === 'object' ? JSON.stringify(val) : val}`);
    return 0;
  });
};

export const extractCmd: Command = async (args, { config, actor, io }) => {
  const { values, positionals } = parse(args, { out: { type: 'string' }, format: { type: 'string' }, 'legal-claims': { type: 'string' } });
  if (positionals.length !== 1 || !values.out) throw new TresorError('E_USAGE', 'extract: ID --out FILE [--legal-claims REF]');
  const format = values.format ?? 'stored';
  if (!['stored', 'wav'].includes(format)) throw new TresorError('E_INVALID', '--format: stored or wav');
  return withArchive(config, async (site, archive) => {
    const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });
    if (format === 'wav') {
      // streamed to the file at the call's own rate, as the console's download is
      const media = createMedia(await resolveFfmpeg(config.ffmpeg), { timeoutMs: config.media.timeoutSeconds * 1000, stallMs: config.media.stallSeconds * 1000 });
      const w = await downloadWav(access, media, cliPrincipal(actor), positionals[0]!, 'recording.exported');
      try {
        await pipeline(w.body, createWriteStream(values.out!, { mode: 0o600 }));
      } catch (e) {
        await rm(values.out!, { force: true }); // no half a call left behind as if it were whole
        throw e;
      }
      io.out(`wrote ${w.bytes} bytes (wav, ${w.sampleRate} Hz, ${w.channels} channel(s)) to ${values.out}`);
      return 0;
    }
    // --legal-claims REF: opens a call restricted under Art. 18 (its 2nd paragraph), logged with the export
    const legal = values['legal-claims'] ? { legalClaims: values['legal-claims'] } : {};
    const { bytes, storedFormat } = await extractStored(access, cliPrincipal(actor), positionals[0]!, values.out!, { format, ...legal });
    io.out(`wrote ${bytes} bytes (${storedFormat}) to ${values.out}`);
    return 0;
  });
};

/**
 * `tresor extract ID --out FILE` in the stored format: one logged export through the door,
 * the audio as stored, written 0600. Exported so scripts/bench-package.ts measures the very
 * path the command takes against the access package and the evidence bundle.
 */
export async function extractStored(access: Access, p: Principal, id: string, out: string, detail: Record<string, unknown> = { format: 'stored' }): Promise<{ bytes: number; storedFormat: string }> {
  const { row, audio } = await access.readAudio(p, id, 'recording.exported', { detail });
  await writeFile(out, audio, { mode: 0o600 });
  return { bytes: audio.length, storedFormat: row.storedFormat };
}

// fsck reads only: no recovery runs, nothing is created or repaired (a checker that
// "repairs" or initialises hides the very state it was asked to report). The one write is
// its `archive.checked` log entry, before it decrypts anything (logOnly, src/site/open.ts).
export const fsckCmd: Command = async (args, { config, actor, io }) => {
  parse(args, {});
  return withArchive(config, async (site, archive) => {
    const r = await fsck(site, archive, (d, t) => io.err(`fsck: ${d}/${t} recordings`), actor);
    const logReport = await site.log.verifyAll((d: number, t: number) => io.err(`fsck: log ${d}/${t} entries`));
    const problems = [...r.problems, ...logReport.problems.map((p: string) => `log: ${p}`)];
    io.out(`checked ${r.recordings} recordings (${(r.bytesChecked / 1048576).toFixed(1)} MiB) in ${r.segments} segments, ${site.log.size()} log entries`);
    for (const n of r.notes) io.out(`NOTE ${n}`);
    for (const p of problems) io.out(`PROBLEM ${p}`);
    io.out(problems.length ? `${problems.length} problem(s)` : 'clean');
    return problems.length ? 1 : 0;
  }, { logOnly: true });
};

/** `tresor init`: the one command besides `serve` that creates an archive. */
export const initCmd: Command = async (args, { config, io }) => {
  parse(args, {});
  let site: Site;
  let created = false;
  try {
    site = openSite(config);
  } catch (e) {
    if (!isTresorError(e, 'E_NO_ARCHIVE')) throw e;
    site = openSite(config, { create: true });
    created = true;
  }
  try {
    if (!created) {
      io.out(`there is already an archive in ${config.dataDir} (created ${site.meta.createdAt}, log origin ${site.meta.origin}); nothing changed`);
      return 0;
    }
    io.out(`created an archive in ${config.dataDir} (log origin ${site.meta.origin})`);
    io.out(site.keys.source.kind === 'data-dir'
      ? `keys are in ${site.keys.source.dir}: back them up now (without them the archive cannot be read)`
      : `keys come from systemd credentials (${site.keys.source.dir})`);
    io.out('start it with `tresor serve` (the first start prints the link that creates the first administrator)');
    return 0;
  } finally {
    await site.close();
  }
};

export const quarantineCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  if (sub === 'list') {
    const { values } = parse(rest, { json: { type: 'boolean' } });
    return withArchive(config, async (site) => {
      // no personal data here: the call's time, direction and queue say which call it is
      const rows = listQuarantine(site.store).map((q) => ({
        id: q.id, code: q.code, message: q.message, at: new Date(q.quarantinedAt).toISOString(), attempts: q.attempts,
        sourceBytes: q.sourceBytes, sourceSha256: q.sourceSha256,
        call: q.call ? { ...q.call, start: q.call.start === null ? null : new Date(q.call.start).toISOString() } : null,
      }));
      if (values.json) io.out(JSON.stringify(rows, null, 2));
      else for (const q of rows) io.out([q.id, q.at, q.call?.start?.slice(0, 16).replace('T', ' ') ?? '-', q.call?.direction ?? '-', q.call?.queue ?? '-', q.code, q.message].join('\t'));
      return 0;
    });
  }
  if (sub === 'restore') {
    const { values, positionals } = parse(rest, { out: { type: 'string' } });
    if (positionals.length !== 1 || !values.out) throw new TresorError('E_USAGE', 'quarantine restore ID --out FILE');
    return withArchive(config, async (site) => {
      const id = positionals[0]!;
      await site.log.append([{ actor, action: 'quarantine.restored', target: `quarantine:${id}`, detail: {} }]);
      const q = await restoreQuarantined({ dataDir: config.dataDir, store: site.store, keys: site.keys }, id, values.out!);
      io.out(`wrote ${q.bytes} bytes (original name: ${q.personal.sourceName}) to ${values.out}${q.sidecar ? ` (+ sidecar ${q.sidecar})` : ''}`);
      return 0;
    });
  }
  if (sub === 'retry') {
    const { values, positionals } = parse(rest, { sidecar: { type: 'string' } });
    if (positionals.length !== 1) throw new TresorError('E_USAGE', 'quarantine retry ID [--sidecar FILE]');
    const sidecar = values.sidecar ? await readFile(values.sidecar) : null;
    const cfg: Config = { ...config, ingest: { ...config.ingest, disposition: 'delete' } };
    // in-flight rows stay as they are: a retry takes no inbox file
    return withWired(cfg, async ({ site, archive, media }) => {
      const r = await retryQuarantinedWith({
        config: cfg, store: site.store, keys: site.keys, archive, log: site.log, media, gates: ingestGates(cfg, site),
      }, actor, positionals[0]!, { sidecar });
      await site.log.checkpointNow();
      if (!('code' in r)) {
        io.out(r.outcome === 'archived' ? `archived as ${r.recordingId}; the quarantine entry is gone` : `already archived as ${r.recordingId}; the quarantine entry is gone`);
        return 0;
      }
      io.out(r.outcome === 'quarantined' ? `still quarantined: ${r.code}: ${r.message}` : `NOT DONE (${r.outcome}, ${r.code}): ${r.message}; the entry stays as it was`);
      return 1;
    }, { recoverInflight: false });
  }
  throw new TresorError('E_USAGE', 'quarantine list [--json] | quarantine restore ID --out FILE | quarantine retry ID [--sidecar FILE]');
};

export const auditCmd: Command = async (args, { config, io, actor }) => {
  if (args[0] === 'verifier') return verifierCommand(args.slice(1), io);
  if (args[0] === 'bundle') return bundleCommand(args.slice(1), { config, actor, io });
  return withArchive(config, async (site) => auditCommand(args, { log: site.log, out: io.out, err: io.err, witnesses: config.log.witnesses, store: site.store, actor }));
};
