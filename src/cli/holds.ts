import { TresorError } from '../core/errors.ts';
import { cliPrincipal } from '../auth/roles.ts';
import { decide, getApproval, outcomeOf, pendingApprovals, type ApprovalPreview } from '../approvals/index.ts';
import { requestDeletion, heldAmong } from '../retention/deletion.ts';
import { addHold, holdSearchOf, listHolds, requestHoldRelease, searchFields } from '../retention/holds.ts';
import type { HoldRow } from '../store/index.ts';
import { fieldsOf, toQuery } from '../access/search-form.ts';
import { approvalRegistry } from '../site/approvals.ts';
import { withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';

/**
 * `tresor hold …`, `tresor approve …`, `tresor delete request …`: legal holds and the
 * four-eyes steps from the box's shell. The actor is `cli:<os user>`, the person the OS
 * user name: a request made by the console user of the same name (or by this OS user)
 * cannot be approved by it here either.
 */


const HOLD_USAGE = `usage: tresor hold add [ID…] [--number N] [--agent A] [--queue Q] [--direction in|out|internal]
                      [--consent granted|denied|unknown] [--since DATE] [--until DATE] --case NAME --reason R
       tresor hold list [--json]
       tresor hold release HOLD_ID --reason R`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function holdJson(h: HoldRow) {
  return {
    id: h.id, state: h.state, caseName: h.caseName, reason: h.reason, ids: h.ids, search: h.search,
    createdAt: iso(h.createdAt), createdBy: h.createdBy, releasedAt: iso(h.releasedAt), releasedBy: h.releasedBy, releaseApprovalId: h.releaseApprovalId,
  };
}

export const holdCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  const person = cliPrincipal(actor).name;
  switch (sub) {
    case 'add': {
      const { values, positionals } = parse(rest, {
        case: { type: 'string' }, reason: { type: 'string' }, number: { type: 'string' }, agent: { type: 'string' }, queue: { type: 'string' },
        direction: { type: 'string' }, consent: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' },
      });
      if (!values.case || !values.reason) throw new TresorError('E_USAGE', `hold add: give --case NAME and --reason R\n${HOLD_USAGE}`);
      // the same fields, and the same date meaning, as the console's search form
      const q = toQuery(fieldsOf({
        from: values.since, to: values.until, number: values.number, agent: values.agent, queue: values.queue,
        direction: values.direction, consent: values.consent,
      }), config.phone);
      return withSite(config, async (site) => {
        const h = await addHold(site.store, site.log, actor, {
          caseName: values.case!, reason: values.reason!, ids: positionals, search: holdSearchOf(site.keys, q),
          shown: { ...(q.number ? { number: q.number } : {}), ...(q.agent ? { agent: q.agent } : {}), seal: (ctx, plain) => site.keys.sealSecret(ctx, plain) },
        });
        io.out(`placed hold ${h.id}: ${h.ids.length} recording(s) by id${h.search ? `, search on ${searchFields(h.search).join(', ')}` : ''}`);
        return 0;
      });
    }
    case 'list': {
      const { values } = parse(rest, { json: { type: 'boolean' } });
      return withSite(config, async (site) => {
        const holds = listHolds(site.store);
        if (values.json) {
          io.out(JSON.stringify(holds.map(holdJson), null, 2));
          return 0;
        }
        if (!holds.length) io.out('no holds');
        else io.out(['ID', 'STATE', 'PLACED (UTC)', 'BY', 'IDS', 'SEARCH', 'CASE'].join('\t'));
        for (const h of holds) {
          io.out([h.id, h.state, iso(h.createdAt)!.slice(0, 19).replace('T', ' '), h.createdBy, h.ids.length, searchFields(h.search).join(',') || '-', h.caseName].join('\t'));
        }
        return 0;
      });
    }
    case 'release': {
      const { values, positionals } = parse(rest, { reason: { type: 'string' } });
      if (positionals.length !== 1 || !values.reason) throw new TresorError('E_USAGE', `hold release: HOLD_ID --reason R\n${HOLD_USAGE}`);
      return withSite(config, async (site) => {
        const a = await requestHoldRelease(site.store, site.log, actor, positionals[0]!, { reason: values.reason!, person });
        io.out(a.id);
        io.err(`release of hold ${positionals[0]} requested; a second person approves it (console /approvals or tresor approve ${a.id}) before ${iso(a.expiresAt)}`);
        return 0;
      });
    }
    default:
      throw new TresorError('E_USAGE', HOLD_USAGE);
  }
};

export const approveCmd: Command = async (args, { config, actor, io }) => {
  const { values, positionals } = parse(args, { reject: { type: 'boolean' }, note: { type: 'string' } });
  if (positionals.length !== 1) throw new TresorError('E_USAGE', 'usage: tresor approve APPROVAL_ID [--reject] [--note N]');
  const me = cliPrincipal(actor);
  return withSite(config, async (site) => {
    const id = positionals[0]!;
    const row = await decide(site.store, site.log, id, { by: actor, person: me.name, roles: me.roles, approve: !values.reject, note: values.note });
    if (values.reject) {
      io.out(`rejected ${row.kind} ${row.target} (${id})`);
      return 0;
    }
    const { result } = await approvalRegistry(site, config).execute(site.store, row, actor);
    // say what happened, not merely that it ran: approving deletion of held calls deletes nothing
    const o = outcomeOf(result)!;
    const said = o.outcome === 'done' ? 'carried out' : o.outcome === 'partial' ? 'PARTLY carried out' : 'NOTHING CHANGED';
    io.out(`approved ${row.kind} ${row.target} (${id}): ${said}: ${o.summary}`);
    io.out(JSON.stringify(result, null, 2));
    return 0;
  });
};

function printPreview(io: { out(s: string): void }, p: ApprovalPreview): void {
  io.out(`  will: ${p.summary}`);
  for (const f of p.facts) io.out(`  ${f.label}: ${f.value}`);
  for (const c of p.calls?.rows ?? []) {
    const moved = c.expiresAfter !== undefined ? `  expiry ${iso(c.expiresBefore ?? null) ?? 'never'} -> ${iso(c.expiresAfter) ?? 'never'}` : '';
    io.out(`  CALL ${c.id}  ${c.start === null ? '' : `${iso(c.start)}  ${Math.round((c.durationMs ?? 0) / 1000)} s  queue ${c.queue ?? '-'}`}${moved}`);
  }
  if (p.calls && p.calls.rows.length < p.calls.total) io.out(`  … ${p.calls.total - p.calls.rows.length} more`);
  for (const h of p.held ?? []) io.out(`  HELD ${h.id}  legal hold ${h.hold}${h.caseName ? ` (${h.caseName})` : ''}: stays`);
  for (const g of p.gone ?? []) io.out(`  GONE ${g}`);
}

/** `tresor approvals [list] [--json] | approvals show ID [--json]`: what waiting requests would do. */
export const approvalsCmd: Command = async (args, { config, actor, io }) => {
  const [sub = 'list', ...rest] = args;
  const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
  const viewer = { roles: cliPrincipal(actor).roles };
  return withSite(config, async (site) => {
    const registry = approvalRegistry(site, config);
    let rows;
    if (sub === 'list') rows = pendingApprovals(site.store);
    else if (sub === 'show' && positionals.length === 1) {
      const r = getApproval(site.store, positionals[0]!);
      if (!r) throw new TresorError('E_NOT_FOUND', `no approval request ${positionals[0]}`);
      rows = [r];
    } else throw new TresorError('E_USAGE', 'usage: tresor approvals [list] [--json] | tresor approvals show ID [--json]');
    const out = rows.map((r) => ({ row: r, preview: registry.describe(r, viewer), outcome: outcomeOf(r.result) }));
    if (values.json) {
      io.out(JSON.stringify(out.map(({ row, preview, outcome }) => ({
        id: row.id, kind: row.kind, target: row.target, state: row.state, requestedBy: row.requestedBy, requestedAt: iso(row.requestedAt),
        expiresAt: iso(row.expiresAt), reason: row.reason, preview, outcome,
      })), null, 2));
      return 0;
    }
    if (!out.length) io.out('no requests are waiting');
    for (const { row, preview, outcome } of out) {
      io.out(`${row.id}  ${row.kind}  ${row.target}  ${row.state}${outcome ? ` (${outcome.outcome}: ${outcome.summary})` : ''}  by ${row.requestedBy}  expires ${iso(row.expiresAt)}`);
      io.out(`  reason: ${row.reason}`);
      if (row.state === 'pending' || row.state === 'approved') printPreview(io, preview);
    }
    return 0;
  });
};

export const deleteCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  if (sub !== 'request') throw new TresorError('E_USAGE', 'usage: tresor delete request ID… --reason R');
  const { values, positionals } = parse(rest, { reason: { type: 'string' } });
  if (!positionals.length || !values.reason) throw new TresorError('E_USAGE', 'usage: tresor delete request ID… --reason R');
  return withSite(config, async (site) => {
    const a = await requestDeletion(site.store, site.log, actor, { ids: positionals, reason: values.reason!, person: cliPrincipal(actor).name });
    io.out(a.id);
    const held = heldAmong(site.store, (a.payload.ids as string[]) ?? []);
    for (const h of held) io.err(`note: ${h.id} is under legal hold ${h.hold}: it will be skipped unless the hold is released first`);
    io.err(`deletion of ${(a.payload.ids as string[]).length} recording(s) requested; a second person approves it (console /approvals or tresor approve ${a.id}) before ${iso(a.expiresAt)}`);
    return 0;
  });
};
