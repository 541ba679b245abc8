import { TresorError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { renderPdf, type PdfBlock } from '../documents/index.ts';
import type { BreachRisk, BreachRow } from '../store/index.ts';
import type { PrivacyDeps } from './deps.ts';

/**
 * The breach register (GDPR Art. 33/34, issue 14 item 4). Every suspected breach is
 * documented (Art. 33(5): facts, effects, remedial action — also when it is not notified);
 * the supervisory authority must be told within 72 hours of becoming aware unless the
 * breach is unlikely to result in a risk (33(1)), with reasons for any delay; the data
 * subjects too when the risk is high (34(1)). The free text (what happened, consequences,
 * measures) may name people: it is sealed like request notes; log entries carry the
 * breach id, counts, risk and state only.
 */

export const NOTIFY_WITHIN_MS = 72 * 3600_000;
export const BREACH_RISKS: readonly BreachRisk[] = ['unassessed', 'unlikely', 'risk', 'high'];
const MAX_TEXT = 10_000;
const FUTURE_SLACK_MS = 5 * 60_000;

/** The Art. 33(3) contents in the controller's words (sealed in the row). */
export interface BreachFacts {
  /** (a) the nature of the breach: what happened */
  nature: string;
  /** (a) categories of data and of data subjects concerned */
  categories: string;
  /** (c) the likely consequences */
  consequences: string;
  /** (d) measures taken or proposed, including to mitigate adverse effects */
  measures: string;
}

export interface RecordBreachInput extends Partial<BreachFacts> {
  noticedAt: number;
  subjectsEstimate?: number;
  recordsEstimate?: number;
  callIds?: string[];
  period?: { from: number; to: number } | null;
  risk?: string;
  now?: number;
}

const context = (id: string) => `breach:${id}`;

function text(v: unknown, what: string, required: boolean): string {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s && required) throw new TresorError('E_INVALID', `${what} is required`, { detail: { field: what } });
  if (s.length > MAX_TEXT) throw new TresorError('E_INVALID', `${what} is longer than ${MAX_TEXT} characters`, { detail: { field: what } });
  return s;
}

function count(v: unknown, what: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TresorError('E_INVALID', `${what} is a whole number of at least 0`, { detail: { field: what } });
  return v;
}

function risk(v: unknown): BreachRisk {
  if (v === undefined) return 'unassessed';
  if (typeof v !== 'string' || !(BREACH_RISKS as readonly string[]).includes(v)) throw new TresorError('E_INVALID', `risk must be one of ${BREACH_RISKS.join(', ')}`, { detail: { field: 'risk' } });
  return v as BreachRisk;
}

export function getBreach(deps: Pick<PrivacyDeps, 'store'>, id: string): BreachRow {
  const r = deps.store.breaches.get(id);
  if (!r) throw new TresorError('E_NOT_FOUND', `no breach ${id}`, { detail: { id } });
  return r;
}

export function breachFacts(deps: Pick<PrivacyDeps, 'keys'>, r: BreachRow): BreachFacts {
  return JSON.parse(deps.keys.openSecret(context(r.id), r.facts)) as BreachFacts;
}

export const openSealed = (deps: Pick<PrivacyDeps, 'keys'>, r: BreachRow, sealed: string | null): string | null =>
  sealed === null ? null : deps.keys.openSecret(context(r.id), sealed);

/** Whether the authority must still be told, and by when (null: no notice due). */
export function notificationDue(r: BreachRow): { by: number; late: boolean } | null {
  if (r.state !== 'open' || r.authorityNotifiedAt !== null || r.risk === 'unlikely') return null;
  const by = r.noticedAt + NOTIFY_WITHIN_MS;
  return { by, late: Date.now() > by };
}

/** Records a suspected breach. Validates everything before the one write. */
export async function recordBreach(deps: PrivacyDeps, by: string, input: RecordBreachInput): Promise<BreachRow> {
  const now = input.now ?? Date.now();
  if (typeof input.noticedAt !== 'number' || !Number.isFinite(input.noticedAt)) throw new TresorError('E_INVALID', 'noticedAt (when the breach became known) is required', { detail: { field: 'noticedAt' } });
  if (input.noticedAt > now + FUTURE_SLACK_MS) throw new TresorError('E_INVALID', 'noticedAt is in the future', { detail: { field: 'noticedAt' } });
  const facts: BreachFacts = {
    nature: text(input.nature, 'nature', true),
    categories: text(input.categories, 'categories', false),
    consequences: text(input.consequences, 'consequences', false),
    measures: text(input.measures, 'measures', false),
  };
  const callIds = [...new Set(input.callIds ?? [])];
  const unknown = callIds.filter((id) => !deps.store.recordings.has(id));
  if (unknown.length) throw new TresorError('E_INVALID', `no recording ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ''}`, { detail: { field: 'callIds' } });
  const period = input.period ?? null;
  if (period && !(period.from <= period.to)) throw new TresorError('E_INVALID', 'the period ends before it starts', { detail: { field: 'period' } });
  const row: BreachRow = {
    v: 1, id: newId(now), state: 'open', noticedAt: input.noticedAt, recordedAt: now, recordedBy: by,
    facts: '', callIds, period,
    subjectsEstimate: count(input.subjectsEstimate, 'subjectsEstimate'), recordsEstimate: count(input.recordsEstimate ?? callIds.length, 'recordsEstimate'),
    risk: risk(input.risk), authorityNotifiedAt: null, subjectsNotifiedAt: null, delayReason: null, closedAt: null, closedBy: null, closeNote: null,
  };
  row.facts = deps.keys.sealSecret(context(row.id), JSON.stringify(facts));
  return deps.store.tx(() => {
    deps.store.breaches.put(row);
    deps.log.appendSync([{
      actor: by, action: 'breach.recorded', target: `breach:${row.id}`,
      detail: { risk: row.risk, subjects: row.subjectsEstimate, records: row.recordsEstimate, calls: callIds.length, noticedAt: new Date(row.noticedAt).toISOString(), notifyBy: new Date(row.noticedAt + NOTIFY_WITHIN_MS).toISOString() },
    }]);
    return row;
  });
}

async function transition(deps: PrivacyDeps, by: string, id: string, action: string, change: (r: BreachRow) => { row: BreachRow; detail?: Record<string, unknown> }): Promise<BreachRow> {
  change(getBreach(deps, id)); // validate before the write (lmdb-js does not roll back a throwing async transaction)
  return deps.store.tx(() => {
    const { row, detail } = change(getBreach(deps, id));
    deps.store.breaches.put(row);
    deps.log.appendSync([{ actor: by, action, target: `breach:${id}`, detail: { state: row.state, risk: row.risk, ...detail } }]);
    return row;
  });
}

const mustBeOpen = (r: BreachRow) => {
  if (r.state !== 'open') throw new TresorError('E_CONFLICT', `breach ${r.id} is closed`, { detail: { reason: 'state' } });
};

/** The risk assessment (Art. 33(1), 34(1)); may change as facts come in. */
export async function assessBreach(deps: PrivacyDeps, by: string, id: string, o: { risk: string; subjectsEstimate?: number }): Promise<BreachRow> {
  const rk = risk(o.risk);
  const subjects = o.subjectsEstimate === undefined ? undefined : count(o.subjectsEstimate, 'subjectsEstimate');
  return transition(deps, by, id, 'breach.assessed', (r) => {
    mustBeOpen(r);
    return { row: { ...r, risk: rk, ...(subjects !== undefined ? { subjectsEstimate: subjects } : {}) }, detail: { subjects: subjects ?? r.subjectsEstimate } };
  });
}

/**
 * The notice was sent: to the supervisory authority (Art. 33) or to the data subjects
 * (Art. 34). A notice to the authority after 72 hours needs the reasons for the delay.
 */
export async function notifyBreach(deps: PrivacyDeps, by: string, id: string, o: { to: string; at: number; delayReason?: string; now?: number }): Promise<BreachRow> {
  const now = o.now ?? Date.now();
  if (o.to !== 'authority' && o.to !== 'subjects') throw new TresorError('E_INVALID', 'to is authority or subjects', { detail: { field: 'to' } });
  if (typeof o.at !== 'number' || !Number.isFinite(o.at) || o.at > now + FUTURE_SLACK_MS) throw new TresorError('E_INVALID', 'at is the time the notice was sent (not in the future)', { detail: { field: 'at' } });
  const delay = text(o.delayReason, 'delayReason', false);
  return transition(deps, by, id, 'breach.notified', (r) => {
    mustBeOpen(r);
    if (o.at < r.noticedAt - FUTURE_SLACK_MS) throw new TresorError('E_INVALID', 'the notice is dated before the breach became known', { detail: { field: 'at' } });
    const late = o.to === 'authority' && o.at > r.noticedAt + NOTIFY_WITHIN_MS;
    if (late && !delay) throw new TresorError('E_INVALID', 'the notice came after 72 hours: give the reasons for the delay (Art. 33(1))', { detail: { field: 'delayReason' } });
    const row: BreachRow = o.to === 'authority'
      ? { ...r, authorityNotifiedAt: o.at, delayReason: delay ? deps.keys.sealSecret(context(r.id), delay) : r.delayReason }
      : { ...r, subjectsNotifiedAt: o.at };
    return { row, detail: { to: o.to, at: new Date(o.at).toISOString(), late } };
  });
}

/**
 * Closes the entry. A breach that was not notified keeps, as its documentation, why not
 * (Art. 33(5): the authority may ask to see it).
 */
export async function closeBreach(deps: PrivacyDeps, by: string, id: string, o: { note: string; now?: number }): Promise<BreachRow> {
  const now = o.now ?? Date.now();
  const note = text(o.note, 'note', true);
  return transition(deps, by, id, 'breach.closed', (r) => {
    mustBeOpen(r);
    if (r.risk === 'unassessed') throw new TresorError('E_CONFLICT', `breach ${r.id} has no risk assessment yet`, { detail: { reason: 'unassessed' } });
    if (r.risk !== 'unlikely' && r.authorityNotifiedAt === null) throw new TresorError('E_CONFLICT', `breach ${r.id} is assessed as "${r.risk}": record the notice to the authority first (Art. 33(1))`, { detail: { reason: 'not-notified' } });
    if (r.risk === 'high' && r.subjectsNotifiedAt === null) throw new TresorError('E_CONFLICT', `breach ${r.id} is a high risk: record the notice to the data subjects first (Art. 34(1))`, { detail: { reason: 'subjects-not-notified' } });
    return { row: { ...r, state: 'closed', closedAt: now, closedBy: by, closeNote: deps.keys.sealSecret(context(r.id), note) }, detail: { notified: r.authorityNotifiedAt !== null } };
  });
}

const NOTICE = {
  en: {
    title: 'Notification of a personal data breach (Art. 33 GDPR)',
    ref: 'Reference', noticed: 'Became aware', recorded: 'Recorded', deadline: 'Notification due by (72 hours)',
    controller: 'Controller', dpo: '(b) Data protection officer, contact point for more information',
    nature: '(a) Nature of the breach', categories: '(a) Categories of data and of data subjects', numbers: '(a) Approximate numbers',
    numbersText: (s: number, r: number) => `about ${s} data subject(s); about ${r} recorded call(s)`,
    period: 'Calls archived between', consequences: '(c) Likely consequences', measures: '(d) Measures taken or proposed',
    risk: 'Risk assessment', delay: 'Reasons for the delay (Art. 33(1))', none: 'not stated',
    riskText: { unassessed: 'not assessed yet', unlikely: 'unlikely to result in a risk (no notification required; documented under Art. 33(5))', risk: 'a risk to the rights and freedoms of natural persons (notify the authority)', high: 'a high risk (notify the authority and the data subjects, Art. 34)' },
    draft: 'Draft prepared by Tresor from the breach register; check and complete it before sending.',
  },
  de: {
    title: 'Meldung einer Verletzung des Schutzes personenbezogener Daten (Art. 33 DSGVO)',
    ref: 'Aktenzeichen', noticed: 'Bekannt geworden', recorded: 'Erfasst', deadline: 'Meldung fällig bis (72 Stunden)',
    controller: 'Verantwortlicher', dpo: '(b) Datenschutzbeauftragte/r, Anlaufstelle für weitere Informationen',
    nature: '(a) Art der Verletzung', categories: '(a) Kategorien der Daten und der betroffenen Personen', numbers: '(a) Ungefähre Zahl',
    numbersText: (s: number, r: number) => `etwa ${s} betroffene Person(en); etwa ${r} aufgezeichnete Anruf(e)`,
    period: 'Anrufe archiviert zwischen', consequences: '(c) Wahrscheinliche Folgen', measures: '(d) Ergriffene oder vorgeschlagene Maßnahmen',
    risk: 'Risikobewertung', delay: 'Gründe für die Verzögerung (Art. 33 Abs. 1)', none: 'nicht angegeben',
    riskText: { unassessed: 'noch nicht bewertet', unlikely: 'voraussichtlich kein Risiko (keine Meldung nötig; dokumentiert nach Art. 33 Abs. 5)', risk: 'ein Risiko für die Rechte und Freiheiten natürlicher Personen (Meldung an die Aufsichtsbehörde)', high: 'ein hohes Risiko (Meldung an die Aufsichtsbehörde und Benachrichtigung der Betroffenen, Art. 34)' },
    draft: 'Entwurf aus dem Verzeichnis der Datenpannen in Tresor; vor dem Versand prüfen und ergänzen.',
  },
} as const;

export interface NoticeSettings {
  controller: { name: string; address: string; email: string };
  dpo: { name: string; email: string };
}

/** The draft notification as labelled sections, the same for the page and the PDF. */
export function breachNotice(deps: Pick<PrivacyDeps, 'keys'>, r: BreachRow, s: NoticeSettings, lang: 'de' | 'en'): { title: string; sections: { label: string; text: string }[]; note: string } {
  const L = NOTICE[lang];
  const f = breachFacts(deps, r);
  const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const or = (v: string) => v || L.none;
  const sections = [
    { label: L.ref, text: r.id },
    { label: L.controller, text: [s.controller.name, s.controller.address, s.controller.email].filter(Boolean).join(', ') || L.none },
    { label: L.dpo, text: [s.dpo.name, s.dpo.email].filter(Boolean).join(', ') || L.none },
    { label: L.noticed, text: iso(r.noticedAt) },
    { label: L.deadline, text: iso(r.noticedAt + NOTIFY_WITHIN_MS) },
    { label: L.nature, text: f.nature },
    { label: L.categories, text: or(f.categories) },
    { label: L.numbers, text: L.numbersText(r.subjectsEstimate, r.recordsEstimate) },
    ...(r.period ? [{ label: L.period, text: `${iso(r.period.from)} – ${iso(r.period.to)}` }] : []),
    { label: L.consequences, text: or(f.consequences) },
    { label: L.measures, text: or(f.measures) },
    { label: L.risk, text: L.riskText[r.risk] },
    ...(r.delayReason ? [{ label: L.delay, text: openSealed(deps, r, r.delayReason) ?? '' }] : []),
  ];
  return { title: L.title, sections, note: L.draft };
}

export async function breachNoticePdf(deps: Pick<PrivacyDeps, 'keys'>, r: BreachRow, s: NoticeSettings, lang: 'de' | 'en'): Promise<Uint8Array> {
  const n = breachNotice(deps, r, s, lang);
  const blocks: PdfBlock[] = [{ kind: 'paragraph', text: n.note }, { kind: 'space' }];
  for (const x of n.sections) blocks.push({ kind: 'heading', text: x.label }, { kind: 'paragraph', text: x.text });
  return renderPdf({ title: n.title, lang, subject: `breach ${r.id}`, blocks });
}
