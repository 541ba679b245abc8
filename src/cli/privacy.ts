import { TresorError } from '../core/errors.ts';
import { writeFileDurable } from '../core/index.ts';
import { parseDateBound } from '../core/dates.ts';
import type { Config } from '../config/index.ts';
import { removePackageCopies } from '../core/copies.ts';
import { excludeFromPackage, packageDraft, releasePackage, erasureAnswer, readErasureCertificate, requestErasure, findSubject, closeRequest, extendRequest, getRequest, listRequests, openRequest, requestView, verifyIdentity, type RequestView, type PrivacyDeps } from '../privacy/index.ts';
import type { Site } from '../site/open.ts';
import { withArchive, withSite } from './with-site.ts';
import { existsSync, readdirSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { createMedia, resolveFfmpeg } from '../media/index.ts';
import { PACKAGE_EXCLUSION_REASONS } from '../store/index.ts';
import { createAccess } from '../access/index.ts';
import { cliPrincipal } from '../auth/roles.ts';
import { parse, type Command, type Io } from './args.ts';

/**
 * `tresor subject …` and `tresor request …` (issue 11; the contract is in the README):
 * the data-subject lookup and the request register from the box's shell, as `cli:<os user>`.
 */

const SUBJECT_USAGE = 'usage: tresor subject find (--number N | --customer-id C) [--json]';
const REQUEST_USAGE = `usage: tresor request open --kind K (--number N | --customer-id C) [--received DATE] [--channel C] [--json]
       tresor request list [--open] [--overdue] [--json]
       tresor request show ID [--json]
       tresor request verify ID --method M
       tresor request extend ID --months 1|2 --reason R --notified DATE
       tresor request close ID --outcome answered|refused [--reason R]
       tresor request erase ID [--confirm-mass] [--reason R] [--json]   (a second dpo/admin approves: tresor approve APPROVAL_ID)
       tresor request certificate ID --out FILE [--pdf]
       tresor request package ID --list [--json]   (Art. 15: the draft, the subject's calls for review)
       tresor request package ID --exclude CALL --reason ${PACKAGE_EXCLUSION_REASONS.join('|')} [--note T]   (Art. 15(4): withhold a call)
       tresor request package ID --out DIR [--lang de|en] [--wav]   (release: the calls not excluded, the letter, the proof)`;

const depsOf = (site: Site, config: Config): PrivacyDeps => ({ store: site.store, log: site.log, keys: site.keys, phone: config.phone, dataDir: config.dataDir });

function identifiers(values: { number?: string; 'customer-id'?: string }, usage: string) {
  if (!values.number && !values['customer-id']) throw new TresorError('E_USAGE', `give --number N or --customer-id C\n${usage}`);
  return { number: values.number, customerId: values['customer-id'] };
}

const day = (iso: string | null) => (iso ? iso.slice(0, 10) : '-');

function printRequest(io: Io, v: RequestView): void {
  io.out(`${v.id}  ${v.kind}  ${v.state}${v.overdue ? '  OVERDUE' : ''}`);
  io.out(`  received ${v.receivedAt} via ${v.channel}; due ${v.dueAt}`);
  io.out(`  identifiers: ${v.identifiers.join(', ')} (sealed)`);
  if (v.identity) io.out(`  identity checked by ${v.identity.by} at ${v.identity.at}: ${v.identity.method}`);
  if (v.extension) io.out(`  extended by ${v.extension.months} month(s) by ${v.extension.by}; subject told ${v.extension.notifiedAt}`);
  if (v.closedAt) io.out(`  closed ${v.closedAt} by ${v.closedBy}`);
  if (v.refusalInformation) io.out(`  refused: the letter must give ${v.refusalInformation}`);
}

export const subjectCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  if (sub !== 'find') throw new TresorError('E_USAGE', SUBJECT_USAGE);
  const { values, positionals } = parse(rest, { number: { type: 'string' }, 'customer-id': { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) throw new TresorError('E_USAGE', SUBJECT_USAGE);
  const ids = identifiers(values, SUBJECT_USAGE);
  return withSite(config, async (site) => {
    const hits = await findSubject(depsOf(site, config), actor, ids);
    if (values.json) {
      io.out(JSON.stringify(hits, null, 2));
      return 0;
    }
    for (const [k, list] of Object.entries(hits) as [string, string[]][]) io.out(`${k}: ${list.length}${list.length ? `\n  ${list.join('\n  ')}` : ''}`);
    // what no lookup can see (issue 11): say it every time, a DPO answers Art. 15 from this
    io.err('not covered: files quarantined before this version, and originals moved aside by ingest.disposition: move (plaintext, never indexed)');
    return 0;
  });
};

export const requestCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'open': {
      const { values, positionals } = parse(rest, {
        kind: { type: 'string' }, number: { type: 'string' }, 'customer-id': { type: 'string' }, received: { type: 'string' }, channel: { type: 'string' }, json: { type: 'boolean' },
      });
      if (positionals.length || !values.kind) throw new TresorError('E_USAGE', `request open: give --kind K\n${REQUEST_USAGE}`);
      const ids = identifiers(values, REQUEST_USAGE);
      const receivedAt = values.received ? parseDateBound(values.received, 'start', '--received') : undefined;
      return withSite(config, async (site) => {
        const r = await openRequest(depsOf(site, config), actor, { kind: values.kind!, ...ids, receivedAt, channel: values.channel });
        if (values.json) io.out(JSON.stringify(requestView(r), null, 2));
        else {
          io.out(r.id);
          io.err(`${r.kind} request registered; due ${new Date(r.dueAt).toISOString()} (one month after receipt, Art. 12(3) GDPR)`);
        }
        return 0;
      });
    }
    case 'list': {
      const { values, positionals } = parse(rest, { open: { type: 'boolean' }, overdue: { type: 'boolean' }, json: { type: 'boolean' } });
      if (positionals.length) throw new TresorError('E_USAGE', REQUEST_USAGE);
      return withSite(config, async (site) => {
        const views = listRequests(depsOf(site, config), { open: values.open, overdue: values.overdue }).map((r) => requestView(r));
        if (values.json) {
          io.out(JSON.stringify(views, null, 2));
          return 0;
        }
        if (!views.length) io.out('no requests');
        else io.out(['ID', 'KIND', 'STATE', 'RECEIVED', 'DUE', ''].join('\t'));
        for (const v of views) io.out([v.id, v.kind, v.state, day(v.receivedAt), day(v.dueAt), v.overdue ? 'OVERDUE' : ''].join('\t'));
        return 0;
      }, { readOnly: true });
    }
    case 'show': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
      if (positionals.length !== 1) throw new TresorError('E_USAGE', `request show ID\n${REQUEST_USAGE}`);
      return withSite(config, async (site) => {
        const v = requestView(getRequest(depsOf(site, config), positionals[0]!));
        if (values.json) io.out(JSON.stringify(v, null, 2));
        else printRequest(io, v);
        return 0;
      }, { readOnly: true });
    }
    case 'verify': {
      const { values, positionals } = parse(rest, { method: { type: 'string' } });
      if (positionals.length !== 1 || !values.method) throw new TresorError('E_USAGE', `request verify ID --method M\n${REQUEST_USAGE}`);
      return withSite(config, async (site) => {
        const r = await verifyIdentity(depsOf(site, config), actor, positionals[0]!, { method: values.method! });
        io.out(`${r.id}: ${r.state}`);
        return 0;
      });
    }
    case 'extend': {
      const { values, positionals } = parse(rest, { months: { type: 'string' }, reason: { type: 'string' }, notified: { type: 'string' } });
      if (positionals.length !== 1 || !values.months || !values.reason || !values.notified) {
        throw new TresorError('E_USAGE', `request extend ID --months 1|2 --reason R --notified DATE\n${REQUEST_USAGE}`);
      }
      if (values.months !== '1' && values.months !== '2') throw new TresorError('E_USAGE', '--months is 1 or 2 (Art. 12(3): at most two further months)');
      const notifiedAt = parseDateBound(values.notified, 'start', '--notified');
      return withSite(config, async (site) => {
        const r = await extendRequest(depsOf(site, config), actor, positionals[0]!, { months: Number(values.months), reason: values.reason!, notifiedAt });
        io.out(`${r.id}: due ${new Date(r.dueAt).toISOString()}`);
        return 0;
      });
    }
    case 'close': {
      const { values, positionals } = parse(rest, { outcome: { type: 'string' }, reason: { type: 'string' } });
      if (positionals.length !== 1 || !values.outcome) throw new TresorError('E_USAGE', `request close ID --outcome answered|refused [--reason R]\n${REQUEST_USAGE}`);
      return withSite(config, async (site) => {
        const r = await closeRequest(depsOf(site, config), actor, positionals[0]!, { outcome: values.outcome!, reason: values.reason });
        io.out(`${r.id}: ${r.state}`);
        return 0;
      });
    }
    case 'erase': {
      // Art. 17: the first pair of eyes; `tresor approve ID` by another person carries it out
      const { values, positionals } = parse(rest, { 'confirm-mass': { type: 'boolean' }, reason: { type: 'string' }, json: { type: 'boolean' } });
      if (positionals.length !== 1) throw new TresorError('E_USAGE', `request erase ID [--confirm-mass] [--reason R] [--json]\n${REQUEST_USAGE}`);
      return withSite(config, async (site) => {
        const { approval, plan } = await requestErasure(depsOf(site, config), actor, positionals[0]!, {
          confirmMass: values['confirm-mass'], reason: values.reason, maxCalls: config.privacy.maxErasureCalls,
        });
        const answer = erasureAnswer(approval.id, plan);
        if (values.json) io.out(JSON.stringify(answer, null, 2));
        else {
          io.out(approval.id);
          io.err(`erasure asked: ${plan.erase.length} call(s) and ${plan.quarantined.length} quarantined file(s) would be erased; a second dpo or admin approves with: tresor approve ${approval.id}`);
          for (const e of plan.exceptions) io.err(`  kept ${e.id}: ${e.ground}`);
        }
        return 0;
      });
    }
    case 'package': {
      const { values, positionals } = parse(rest, {
        out: { type: 'string' }, lang: { type: 'string' }, wav: { type: 'boolean' }, list: { type: 'boolean' }, json: { type: 'boolean' },
        exclude: { type: 'string' }, reason: { type: 'string' }, note: { type: 'string' },
      });
      const usage = `request package ID (--list | --exclude CALL --reason R | --out DIR)\n${REQUEST_USAGE}`;
      if (positionals.length !== 1 || [values.list, values.exclude, values.out].filter(Boolean).length !== 1) throw new TresorError('E_USAGE', usage);
      if (values.list) {
        return withSite(config, async (site) => {
          const d = packageDraft(depsOf(site, config), positionals[0]!);
          if (values.json) io.out(JSON.stringify(d, null, 2));
          else {
            for (const c of d.calls) io.out([c.id, new Date(c.start).toISOString(), `${Math.round(c.durationMs / 1000)}s`, c.excluded ? `EXCLUDED (${c.excluded.reason})` : 'included'].join('\t'));
            io.err(d.released ? `released ${new Date(d.released.at).toISOString()} by ${d.released.by}` : 'draft: not released yet');
          }
          return 0;
        }, { readOnly: true });
      }
      if (values.exclude) {
        if (!values.reason) throw new TresorError('E_USAGE', `--exclude needs --reason ${PACKAGE_EXCLUSION_REASONS.join('|')}\n${usage}`);
        return withSite(config, async (site) => {
          await excludeFromPackage(depsOf(site, config), actor, positionals[0]!, { callId: values.exclude!, reason: values.reason!, note: values.note });
          io.out(`${values.exclude!.toUpperCase()}: excluded (${values.reason})`);
          return 0;
        });
      }
      if (values.lang !== undefined && values.lang !== 'de' && values.lang !== 'en') throw new TresorError('E_USAGE', '--lang is de or en');
      if (existsSync(values.out!) && readdirSync(values.out!).length) throw new TresorError('E_EXISTS', `${values.out} is not empty: give a new folder for the package`);
      return withArchive(config, async (site, archive) => {
        const access = createAccess({ store: site.store, keys: site.keys, archive, log: site.log });
        const media = values.wav ? createMedia(await resolveFfmpeg(config.ffmpeg), { timeoutMs: config.media.timeoutSeconds * 1000, stallMs: config.media.stallSeconds * 1000 }) : undefined;
        const r = await releasePackage({ ...depsOf(site, config), log: site.log, access }, cliPrincipal(actor), positionals[0]!, {
          lang: values.lang as 'de' | 'en' | undefined, wav: media,
          settings: { dataDir: config.dataDir, controller: config.privacy.controller, dpo: config.privacy.dpo, purposes: config.privacy.purposes, agentNames: config.privacy.packageAgentNames },
        });
        // the released package stays under <dataDir>/reports (the console serves its ZIP); the folder asked for gets a copy
        await cp(r.dir, values.out!, { recursive: true });
        // delivered into the folder asked for: the decrypted copy in the data directory goes
        // (logged); the ZIP stays for the console until the request is closed
        await removePackageCopies(site.log, actor, config.dataDir, positionals[0]!.toUpperCase(), { reason: 'delivered', zip: false });
        io.out(values.out!);
        io.err(`package of ${r.calls.length} call(s) (${r.withheld} withheld, Art. 15(4)), ${r.files.length} files; export entry ${r.exportSeq} under checkpoint ${r.checkpointSize}; released`);
        return 0;
      });
    }
    case 'certificate': {
      const { values, positionals } = parse(rest, { out: { type: 'string' }, pdf: { type: 'boolean' } });
      if (positionals.length !== 1 || !values.out) throw new TresorError('E_USAGE', `request certificate ID --out FILE [--pdf]\n${REQUEST_USAGE}`);
      const bytes = await readErasureCertificate(config.dataDir, positionals[0]!, values.pdf ? 'pdf' : 'json');
      await writeFileDurable(values.out, bytes, 0o644);
      io.err(`wrote ${values.out}`);
      return 0;
    }
    default:
      throw new TresorError('E_USAGE', REQUEST_USAGE);
  }
};
