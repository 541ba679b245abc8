import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { TresorError } from '../core/errors.ts';
import { createExportFolder } from '../core/durable.ts';
import type { RecordingView } from '../core/types.ts';
import { hashLeaf, toHex, verifierFiles, type AuditLog } from '../audit/index.ts';
import { downloadWav, type Access } from '../access/index.ts';
import type { Media } from '../media/index.ts';
import type { Principal } from '../auth/roles.ts';
import { renderPdf, type PdfBlock } from '../documents/index.ts';
import type { IndexStore, RequestRow } from '../store/index.ts';
import { getRequest, startRequest } from './requests.ts';
import type { PrivacyDeps } from './deps.ts';

/**
 * The access package (GDPR Art. 15, issue 11 item 3): for a verified access request, a
 * folder with each of the subject's calls (audio as stored, Ogg/Opus), their metadata as
 * JSON and CSV, who accessed them (roles, never colleagues' names), their retention, a
 * cover letter with the Art. 15(1)(a)–(h) information (HTML + PDF), `manifest.json` with
 * the SHA-256 of every content file, and the proof: the `request.package.exported` log
 * entry (it carries the manifest's SHA-256) with its inclusion proof under a signed
 * checkpoint, plus the offline verifier. Every call is opened through the access door,
 * which logs before it decrypts.
 *
 * The DPO's review comes first (package-review.ts): calls excluded under Art. 15(4) are
 * left out here and counted in the letter; only `releasePackage` calls this.
 */

export interface PackageSettings {
  dataDir: string;
  controller: { name: string; address: string; email: string };
  dpo: { name: string; email: string };
  purposes: string[];
  /** give agents' names in the metadata (privacy.packageAgentNames); default: the word "agent" (colleagues are third parties, Art. 15(4)) */
  agentNames?: boolean;
}

/** Calls withheld under Art. 15(4), counted per reason for the letter (ids stay with the DPO). */
export type Withheld = { reason: string; n: number }[];

export interface PackageResult {
  dir: string;
  calls: string[];
  files: { path: string; sha256: string; bytes: number }[];
  exportSeq: number;
  checkpointSize: number;
}

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  // a cell starting with = + - @ is a formula to a spreadsheet (CSV injection): quote it as text
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};
const csv = (header: string[], rows: unknown[][]) => [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The calls of the request's subject, from the tokens the request holds in clear (nothing unsealed). */
export function packageCalls(store: IndexStore, r: RequestRow): string[] {
  return [...new Set(r.tokens.flatMap((t) => store.recordings.idsByToken(t.kind, t.token)))].sort();
}

/** The actor of a log entry as the subject may see it: a role, never a colleague's name (Art. 15(1)(c) asks for recipients, not persons). */
function roleOf(store: IndexStore, actor: string): string {
  if (actor.startsWith('user:')) return (store.users.get(actor.slice(5))?.roles ?? ['former user']).join('+');
  if (actor.startsWith('token:')) return 'API integration';
  if (actor.startsWith('cli:')) return 'system administrator (shell)';
  if (actor.startsWith('system:')) return 'automatic';
  return 'other';
}

const TEXT = {
  en: {
    title: 'Your recorded calls — information under Art. 15 GDPR',
    intro: (n: number, id: string) => `In answer to your access request ${id}, this package holds copies of the ${n} recorded call(s) we store about you, with their details, who had access to them, and how long we keep them.`,
    controller: 'Controller', dpo: 'Data protection officer', notConfigured: 'not configured',
    purposes: 'Purposes of the processing (Art. 15(1)(a))', purposesNone: 'The purposes are set out in the notice at /privacy.',
    categories: 'Categories of data (b): audio of the call, phone numbers, agent, time, duration, direction, queue, consent given or refused.',
    recipients: 'Recipients (c): staff of the controller in the roles listed in access-history.csv; no recipients outside the controller.',
    retention: 'Storage period (d): see the retention of each call below and in calls.csv.',
    rights: 'Your rights (e)–(f): rectification (Art. 16), erasure (Art. 17), restriction (Art. 18), objection (Art. 21); you may lodge a complaint with a supervisory authority (Art. 77).',
    source: 'Source (g): the calls were recorded by our telephone system during your call.',
    automated: 'Automated decisions (h): none are taken on the basis of these recordings.',
    calls: 'Calls enclosed', call: 'Call', start: 'Start', duration: 'Duration (s)', kept: 'Kept until',
    proof: 'How to check this package: manifest.json lists the SHA-256 of every file; the log entry of this export carries the manifest\'s SHA-256 and is proven by inclusion.json under the signed checkpoint (checkpoint).',
    forever: 'no end date set',
    withheld: (n: number) => `${n} call(s) we hold about you are not enclosed: handing them over would adversely affect the rights and freedoms of others (Art. 15(4) GDPR)`,
    reason: { 'third-party-data': 'personal data of other people in the call', 'trade-secret': 'trade secrets or intellectual property of others (recital 63)', 'other-rights': 'other rights and freedoms of others' } as Record<string, string>,
    withheldRights: 'If you disagree, you may lodge a complaint with a supervisory authority and seek a judicial remedy (Art. 12(4), 77, 79 GDPR).',
    agent: 'agent',
  },
  de: {
    title: 'Ihre aufgezeichneten Gespräche — Auskunft nach Art. 15 DSGVO',
    intro: (n: number, id: string) => `Auf Ihre Auskunftsanfrage ${id} enthält dieses Paket Kopien der ${n} Gesprächsaufzeichnung(en), die wir über Sie speichern, mit ihren Angaben, wer darauf zugegriffen hat und wie lange wir sie aufbewahren.`,
    controller: 'Verantwortlicher', dpo: 'Datenschutzbeauftragte(r)', notConfigured: 'nicht eingetragen',
    purposes: 'Zwecke der Verarbeitung (Art. 15 Abs. 1 lit. a)', purposesNone: 'Die Zwecke stehen im Hinweis unter /privacy.',
    categories: 'Kategorien (b): Ton des Gesprächs, Rufnummern, Mitarbeiter, Zeit, Dauer, Richtung, Warteschlange, erteilte oder verweigerte Einwilligung.',
    recipients: 'Empfänger (c): Beschäftigte des Verantwortlichen in den Rollen aus access-history.csv; keine Empfänger außerhalb des Verantwortlichen.',
    retention: 'Speicherdauer (d): siehe die Aufbewahrung jedes Gesprächs unten und in calls.csv.',
    rights: 'Ihre Rechte (e)–(f): Berichtigung (Art. 16), Löschung (Art. 17), Einschränkung (Art. 18), Widerspruch (Art. 21); Sie können sich bei einer Aufsichtsbehörde beschweren (Art. 77).',
    source: 'Herkunft (g): Die Gespräche wurden während Ihres Anrufs von unserer Telefonanlage aufgezeichnet.',
    automated: 'Automatisierte Entscheidungen (h): Auf Grundlage dieser Aufzeichnungen werden keine getroffen.',
    calls: 'Beigefügte Gespräche', call: 'Gespräch', start: 'Beginn', duration: 'Dauer (s)', kept: 'Aufbewahrt bis',
    proof: 'So prüfen Sie dieses Paket: manifest.json nennt den SHA-256 jeder Datei; der Protokolleintrag dieses Exports trägt den SHA-256 des Manifests und ist durch inclusion.json unter dem signierten Prüfpunkt (checkpoint) nachgewiesen.',
    forever: 'kein Enddatum',
    withheld: (n: number) => `${n} Gesprächsaufzeichnung(en), die wir über Sie speichern, sind nicht beigefügt: ihre Herausgabe würde die Rechte und Freiheiten anderer Personen beeinträchtigen (Art. 15 Abs. 4 DSGVO)`,
    reason: { 'third-party-data': 'personenbezogene Daten anderer Personen im Gespräch', 'trade-secret': 'Geschäftsgeheimnisse oder geistiges Eigentum Dritter (Erwägungsgrund 63)', 'other-rights': 'andere Rechte und Freiheiten Dritter' } as Record<string, string>,
    withheldRights: 'Wenn Sie damit nicht einverstanden sind, können Sie sich bei einer Aufsichtsbehörde beschweren und einen gerichtlichen Rechtsbehelf einlegen (Art. 12 Abs. 4, 77, 79 DSGVO).',
    agent: 'Mitarbeiter(in)',
  },
} as const;

/** The request must be an identity-verified (or in-progress) access request. */
export function mustBePackageable(r: RequestRow): void {
  if (r.kind !== 'access') throw new TresorError('E_CONFLICT', `request ${r.id} is a ${r.kind} request, not an access request`, { detail: { reason: 'kind' } });
  if (r.state !== 'identity-verified' && r.state !== 'in-progress') {
    throw new TresorError('E_CONFLICT', `request ${r.id} is ${r.state}; a package needs the identity verified first (tresor request verify ${r.id} --method M)`, { detail: { reason: 'state', state: r.state } });
  }
}

/**
 * Builds the package of `calls` into `out` (created; must not hold a package already); the
 * request moves to in-progress. `wav`: a WAV copy of each call too, decoded at the call's
 * own rate through the door (one more logged export per call).
 */
export async function buildPackage(
  deps: PrivacyDeps & { log: AuditLog; access: Access },
  p: Principal, requestId: string,
  o: { out: string; lang?: 'de' | 'en'; settings: PackageSettings; calls?: string[]; withheld?: Withheld; wav?: Media },
): Promise<PackageResult> {
  const lang = o.lang ?? 'en';
  const t = TEXT[lang];
  let r = getRequest(deps, requestId);
  mustBePackageable(r);
  const ids = o.calls ?? packageCalls(deps.store, r);
  const withheld = (o.withheld ?? []).filter((w) => w.n > 0);
  const nWithheld = withheld.reduce((n, w) => n + w.n, 0);
  const agentOf = (v: RecordingView) => (o.settings.agentNames || v.agent === null ? v.agent : t.agent);
  if (r.state === 'identity-verified') r = await startRequest(deps, p.actor, r.id);

  // one durability step for the whole folder (src/core/durable.ts createExportFolder), not
  // temp file + fsync + rename + directory fsync for each of its files
  const folder = await createExportFolder(o.out);
  await folder.mkdir('calls');
  const files: PackageResult['files'] = [];
  const put = async (path: string, data: Uint8Array | string) => {
    files.push({ path, ...await folder.write(path, data) });
  };

  const views: (RecordingView & { retention: { policy: string | null; expiresAt: string | null } })[] = [];
  const history: unknown[][] = [];
  // the door logs before it decrypts: every call's recording.exported and recording.viewed in one append
  for await (const { id, row, audio, view } of deps.access.exportCalls(p, ids, { request: r.id, for: 'access-package' })) {
    const retention = { policy: row.retention?.policy ?? null, expiresAt: row.retention?.expiresAt != null ? new Date(row.retention.expiresAt).toISOString() : null };
    // colleagues' names are their personal data, not the subject's (Art. 15(4)): a role instead
    const shown = { ...view, agent: agentOf(view) };
    views.push({ ...shown, retention });
    // the Opus as stored: copied, never decoded and encoded again
    await put(`calls/${id}.${view.storedFormat === 'opus' ? 'ogg' : view.storedFormat}`, audio);
    if (o.wav) {
      const w = await downloadWav(deps.access, o.wav, p, id, 'recording.exported', undefined, { request: r.id, for: 'access-package' });
      files.push({ path: `calls/${id}.wav`, ...await folder.writeStream(`calls/${id}.wav`, w.body as AsyncIterable<Uint8Array>) });
    }
    await put(`calls/${id}.json`, JSON.stringify({ ...shown, retention }, null, 2) + '\n');
    for (const e of deps.log.about('target', `recording:${id}`, 500).reverse()) history.push([id, e.time, e.action, roleOf(deps.store, e.actor)]);
  }
  await put('calls.json', JSON.stringify(views, null, 2) + '\n');
  await put('calls.csv', csv(
    ['id', 'start', 'durationSeconds', 'direction', 'from', 'to', 'agent', 'queue', 'consent', 'retentionPolicy', 'keptUntil'],
    views.map((v) => [v.id, v.start, Math.round(v.durationMs / 1000), v.direction, v.from, v.to, v.agent, v.queue, v.consent?.state ?? '', v.retention.policy, v.retention.expiresAt ?? '']),
  ));
  await put('access-history.csv', csv(['recording', 'time', 'action', 'role'], history));

  const s = o.settings;
  const contact = (x: { name: string; email: string }) => (x.name || x.email ? [x.name, x.email].filter(Boolean).join(', ') : t.notConfigured);
  const controller = s.controller.name ? [s.controller.name, s.controller.address, s.controller.email].filter(Boolean).join(', ') : t.notConfigured;
  const purposes = s.purposes.length ? s.purposes.join('; ') : t.purposesNone;
  const callRows = views.map((v) => [v.id, v.start, String(Math.round(v.durationMs / 1000)), v.retention.expiresAt ?? t.forever]);
  const withheldText = nWithheld ? [`${t.withheld(nWithheld)}: ${withheld.map((w) => `${t.reason[w.reason] ?? w.reason} (${w.n})`).join('; ')}.`, t.withheldRights] : [];
  const paragraphs = [t.intro(views.length, r.id), ...withheldText, `${t.controller}: ${controller}`, `${t.dpo}: ${contact(s.dpo)}`, `${t.purposes}: ${purposes}`,
    t.categories, t.recipients, t.retention, t.rights, t.source, t.automated, t.proof];
  await put('cover-letter.html', `<!doctype html><html lang="${lang}"><meta charset="utf-8"><title>${esc(t.title)}</title><body>
<h1>${esc(t.title)}</h1>
${paragraphs.map((x) => `<p>${esc(x)}</p>`).join('\n')}
<h2>${esc(t.calls)}</h2><table><tr><th>${esc(t.call)}</th><th>${esc(t.start)}</th><th>${esc(t.duration)}</th><th>${esc(t.kept)}</th></tr>
${callRows.map((c) => `<tr>${c.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('\n')}</table></body></html>\n`);
  const blocks: PdfBlock[] = [...paragraphs.map((text): PdfBlock => ({ kind: 'paragraph', text })), { kind: 'heading', text: t.calls },
    { kind: 'table', header: [t.call, t.start, t.duration, t.kept], rows: callRows }];
  await put('cover-letter.pdf', await renderPdf({ title: t.title, lang, blocks }));

  const manifest = JSON.stringify({ request: r.id, files, withheld }, null, 2) + '\n';
  await folder.write('manifest.json', manifest);
  // every file on disk before the log says the package was made
  await folder.done();
  // the proof: an entry naming the manifest's hash (ids and counts only), then a checkpoint covering it
  const log: AuditLog = deps.log;
  const [entry] = await log.append([{ actor: p.actor, action: 'request.package.exported', target: `request:${r.id}`, detail: { calls: ids.length, withheld: nWithheld, manifestSha256: sha256(manifest) } }]);
  const seq = entry!.seq;
  const cp = await deps.log.checkpointNow();
  const line = deps.log.lines(seq, seq + 1)[0]!;
  await folder.write('checkpoint', deps.store.checkpoints.get(cp.size) ?? cp.note);
  await folder.write('inclusion.json', JSON.stringify({
    origin: deps.log.origin, vkey: deps.log.vkey, seq, treeSize: cp.size, entry: line,
    leafHash: toHex(hashLeaf(new TextEncoder().encode(line))), proof: deps.log.inclusionProof(seq, cp.size).map(toHex),
  }, null, 2) + '\n');
  for (const [name, text] of Object.entries(verifierFiles())) await folder.write(name, text);
  await folder.done();
  return { dir: o.out, calls: ids, files, exportSeq: seq, checkpointSize: cp.size };
}

/** The manifest as written (for checks). */
export async function readManifest(dir: string): Promise<{ request: string; files: PackageResult['files']; withheld?: Withheld }> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { request: string; files: PackageResult['files']; withheld?: Withheld };
}
