import { TresorError } from '../core/errors.ts';
import type { ConsentEvidence, LogWriter, RecordingView } from '../core/types.ts';
import { plainLength, type EnvelopeOpener, type Keyring } from '../crypto/index.ts';
import type { Archive } from '../archive/index.ts';
import type { IndexStore, PersonalFields, RecordingRow, SearchFilters } from '../store/index.ts';
import { can, type Permission, type Principal } from '../auth/roles.ts';
import { CONSENT_DENIED } from '../policy/index.ts';
import { normalizeCustomerId, queryNameParts } from '../core/index.ts';

/**
 * The single door to recording content (DESIGN §1): every search, metadata view, play,
 * download and export is authorised here, appends its log entry durably, and only then
 * decrypts (the keyring's openRecording; no DEK leaves src/crypto/). A refusal is logged too
 * (`access.denied`): the DPO wants to see who tried.
 */
export interface AccessDeps {
  store: IndexStore;
  keys: Keyring;
  archive: Archive;
  log: LogWriter;
}

export interface SearchQuery extends Omit<SearchFilters, 'phoneToken' | 'agentToken' | 'agentNameTokens' | 'customerToken'> {
  /** E.164 number (already normalised by the caller) */
  number?: string;
  /** any part(s) of an agent's name, as typed: every part must match (folded, core/agent-name.ts) */
  agent?: string;
  /** the CRM's customer id (normalised like ingest: core/customer-id.ts) */
  customerId?: string;
}

export interface SearchResult {
  items: RecordingView[];
  /** cursor for the next (older) page, or null */
  next: string | null;
  /** true when the page stopped at the scan budget, not at the end of the range */
  partial: boolean;
  /** whether numbers and names are hidden for this principal */
  masked: boolean;
}

export type AudioAction = 'recording.played' | 'recording.downloaded' | 'recording.exported';

export const CONTENT_TYPES: Record<string, string> = { opus: 'audio/ogg', flac: 'audio/flac' };
export function contentTypeOf(storedFormat: string): string {
  if (CONTENT_TYPES[storedFormat]) return CONTENT_TYPES[storedFormat]!;
  const label = storedFormat.replace(/^original:/, '').toLowerCase();
  if (label.includes('wav')) return 'audio/wav';
  if (label.includes('mp3') || label.includes('mpeg')) return 'audio/mpeg';
  if (label.includes('ogg') || label.includes('opus')) return 'audio/ogg';
  if (label.includes('flac')) return 'audio/flac';
  return 'application/octet-stream';
}

export function encodeCursor(c: [number, string]): string {
  return `${c[0]}.${c[1]}`;
}
export function decodeCursor(s: string): [number, string] {
  const m = /^(\d{1,16})\.([0-9A-HJKMNP-TV-Z]{26})$/.exec(s);
  if (!m) throw new TresorError('E_INVALID', 'cursor is not one this server gave out');
  return [Number(m[1]), m[2]!];
}

/**
 * Why a recording may not be opened: a list, so each rule that closes calls adds its
 * kind — an Art. 18 restriction because of an objection (mark `restricted:objection`,
 * src/privacy/objection-gate.ts), later a consent `restrict`. Any mark `restricted:<kind>`
 * closes the call; only a dpo giving a legal-claims reason (Art. 18(2)) opens it.
 */
export function barriersOf(row: Pick<RecordingRow, 'marks'>): string[] {
  return (row.marks ?? []).filter((m) => m.startsWith('restricted:')).map((m) => m.slice('restricted:'.length));
}

const MAX_LEGAL_CLAIMS = 200;
/** sealed audio held at once by one logged batch of an export (exportCalls) */
const EXPORT_BATCH_BYTES = 64 * 1024 * 1024;

export function createAccess(deps: AccessDeps) {
  const { store, keys, archive, log } = deps;

  async function authorize(p: Principal, perm: Permission, target: string): Promise<void> {
    if (can(p.roles, perm)) return;
    await log.append([{ actor: p.actor, action: 'access.denied', target, detail: { needs: perm } }]);
    throw new TresorError('E_FORBIDDEN', `${p.actor} may not do this (needs ${perm})`);
  }

  function openerOf(id: string): EnvelopeOpener {
    if (store.keys.get(id) === undefined) throw new TresorError('E_NOT_FOUND', `recording ${id} has no key (purged)`);
    return keys.openRecording(id);
  }

  function view(row: RecordingRow, personal: boolean): RecordingView {
    const base = {
      id: row.id, start: new Date(row.start).toISOString(), durationMs: row.durationMs, direction: row.direction,
      queue: row.queue, purpose: row.purpose, tags: row.tags, sourceSha256: row.sourceSha256,
      sourceBytes: row.sourceBytes, channels: row.channels, sampleRate: row.sampleRate, storedFormat: row.storedFormat,
      storedBytes: row.storedBytes, ingestedAt: new Date(row.ingestedAt).toISOString(),
    };
    // Masked views never unwrap the DEK: what is not decrypted cannot leak.
    if (!personal) {
      return { ...base, ...restricted(row), from: null, to: null, agent: null, callId: null, sourceName: '', consent: { state: row.consentState }, masked: true };
    }
    // A row without its key (left by a half-committed ingest of old, or damage) must not
    // break every listing: it is shown without personal fields and says why (issue 9).
    if (!store.keys.has(row.id)) {
      return { ...base, ...restricted(row), from: null, to: null, agent: null, callId: null, sourceName: '', consent: { state: row.consentState }, unreadable: 'no data key in the index (damaged; run tresor fsck)' };
    }
    const opener = openerOf(row.id);
    const p = JSON.parse(opener.open(row.personal).toString('utf8')) as PersonalFields;
    // issue 12: the evidence, sealed with the same key; the state follows the latest evidence
    const consentEvidence = (row.consentEvidence ?? []).map((s) => JSON.parse(opener.open(s.sealed).toString('utf8')) as ConsentEvidence);
    const consent = consentEvidence.length ? { ...p.consent, state: row.consentState } : p.consent;
    return { ...base, ...restricted(row), from: p.from, to: p.to, agent: p.agent, callId: p.callId, sourceName: p.sourceName, consent, ...(consentEvidence.length ? { consentEvidence } : {}) };
  }

  function restricted(row: RecordingRow): { restricted?: string[] } {
    const b = barriersOf(row);
    return b.length ? { restricted: b } : {};
  }

  function mustGet(id: string): RecordingRow {
    const row = store.recordings.get(id);
    if (row) return row;
    const gone = store.purged.get(id);
    if (gone) {
      throw new TresorError('E_NOT_FOUND', `recording ${id} was purged on ${new Date(gone.purgedAt).toISOString()} ` +
        (gone.reason === 'policy' ? `under retention policy "${gone.policy}"` : gone.reason === 'consent-unknown' ? 'because its consent stayed unknown past consent.unknownDays' : 'after an approved deletion request') + '; its audio and personal data no longer exist');
    }
    throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
  }

  /** The order every audio read keeps: authorise, read (still sealed), log durably, unwrap the key. */
  async function openForAudio(p: Principal, id: string, action: AudioAction, range?: (total: number) => [number, number] | null, detail: Record<string, unknown> = {}) {
    await authorize(p, 'recording.audio', `recording:${id}`);
    const row = mustGet(id);
    detail = await mayOpen(p, id, row, action, detail);
    const sealed = await archive.read({ segment: row.segment, offset: row.offset, length: row.length, payloadSha256: row.payloadSha256 });
    const total = plainLength(sealed);
    const r = range ? range(total) : null;
    await log.append([{
      actor: p.actor, action, target: `recording:${id}`,
      detail: { storedFormat: row.storedFormat, ...(r ? { range: `${r[0]}-${r[1] - 1}` } : {}), ...detail },
    }]);
    return { row, sealed, total, range: r, opener: openerOf(id) };
  }

  /** The barriers of one call (consent denied, Art. 18 restriction): refused and logged, or the detail to log with the read. */
  async function mayOpen(p: Principal, id: string, row: RecordingRow, action: AudioAction, detail: Record<string, unknown>): Promise<Record<string, unknown>> {
    const barriers = barriersOf(row);
    if (barriers.includes(CONSENT_DENIED)) {
      // issue 12: a call the caller refused to have recorded is kept only to be erased
      await log.append([{ actor: p.actor, action: 'access.denied', target: `recording:${id}`, detail: { reason: CONSENT_DENIED, barriers, tried: action } }]);
      throw new TresorError('E_FORBIDDEN', `recording ${id} was kept although the caller denied consent: it can never be played, downloaded or exported, only erased`, { detail: { reason: CONSENT_DENIED, barriers } });
    }
    if (barriers.length) {
      const claim = typeof detail.legalClaims === 'string' ? detail.legalClaims.trim().slice(0, MAX_LEGAL_CLAIMS) : '';
      if (!claim || !can(p.roles, 'privacy.requests')) {
        await log.append([{ actor: p.actor, action: 'access.denied', target: `recording:${id}`, detail: { reason: 'restricted', barriers, tried: action } }]);
        throw new TresorError('E_FORBIDDEN', `recording ${id} is restricted under Art. 18 GDPR (${barriers.join(', ')}); only a dpo giving a legal-claims reason may open it`, { detail: { reason: 'restricted', barriers } });
      }
      // Art. 18(2): the establishment, exercise or defence of legal claims; the entry says so
      return { ...detail, legalClaims: claim, override: 'legal-claims', barriers };
    }
    return detail;
  }

  return {
    authorize,
    async search(p: Principal, q: SearchQuery): Promise<SearchResult> {
      await authorize(p, 'recording.search', 'recordings');
      const personal = can(p.roles, 'recording.personal');
      const { number, agent, customerId, ...rest } = q;
      // Looking calls up by a person's number, name or customer id is itself using personal data.
      if ((number || agent || customerId) && !personal) await authorize(p, 'recording.personal', 'recordings');
      const parts = agent ? queryNameParts(agent) : [];
      if (agent && !parts.length) throw new TresorError('E_INVALID', 'agent: type a part of a name (letters or digits)');
      const customer = customerId !== undefined ? normalizeCustomerId(customerId) : undefined;
      if (customerId !== undefined && !customer) throw new TresorError('E_INVALID', 'customerId: 1 to 256 characters');
      const filters: SearchFilters = {
        ...rest,
        ...(number ? { phoneToken: keys.tokenize('phone', number) } : {}),
        ...(parts.length ? { agentNameTokens: parts.map((w) => keys.tokenize('agentName', w)) } : {}),
        ...(customer ? { customerToken: keys.tokenize('customer', customer) } : {}),
      };
      const page = store.recordings.search(filters);
      // The entry names the tokens, never the number, name or customer id searched for.
      const { phoneToken, agentToken, agentNameTokens, customerToken, before, ...plain } = filters;
      await log.append([{
        actor: p.actor, action: 'recording.searched', target: 'recordings',
        detail: {
          filters: {
            ...plain, ...(before ? { before: encodeCursor(before) } : {}),
            ...(phoneToken ? { phoneToken: phoneToken.slice(0, 16) } : {}), ...(agentToken ? { agentToken: agentToken.slice(0, 16) } : {}),
            ...(agentNameTokens ? { agentNameTokens: agentNameTokens.map((t) => t.slice(0, 16)) } : {}),
            ...(customerToken ? { customerToken: customerToken.slice(0, 16) } : {}),
          },
          results: page.rows.map((r) => r.id),
        },
      }]);
      return {
        items: page.rows.map((r) => view(r, personal)),
        next: page.next ? encodeCursor(page.next) : null,
        partial: page.next !== null && page.rows.length < (filters.limit ?? 50),
        masked: !personal,
      };
    },

    async view(p: Principal, id: string): Promise<RecordingView> {
      await authorize(p, 'recording.search', `recording:${id}`);
      const row = mustGet(id);
      const personal = can(p.roles, 'recording.personal');
      await log.append([{ actor: p.actor, action: 'recording.viewed', target: `recording:${id}`, detail: personal ? {} : { masked: true } }]);
      return view(row, personal);
    },

    /**
     * Stored audio after a durable log entry naming why. With `range` only the chunks
     * holding [start, end) are decrypted (HTTP Range for seeking in a long call).
     */
    async readAudio(p: Principal, id: string, action: AudioAction, opts: { detail?: Record<string, unknown>; range?: (total: number) => [number, number] | null } = {}) {
      const { row, sealed, total, range, opener } = await openForAudio(p, id, action, opts.range, opts.detail);
      const audio = range ? opener.openRange(sealed, range[0], range[1]) : opener.open(sealed);
      return { row, audio, total, range, contentType: contentTypeOf(row.storedFormat) };
    },

    /**
     * The calls of one export (access package, evidence bundle), with their audio as stored
     * and their personal fields. Each call is authorised and checked as readAudio and view
     * check it and keeps its own `recording.exported` and `recording.viewed` entries, but a
     * batch of calls is logged in ONE durable append (one LMDB commit instead of two per
     * call), after every call of the batch was checked and read still sealed and before any
     * of them is decrypted. A batch holds at most EXPORT_BATCH_BYTES of sealed audio, so a
     * selection of long calls is not held in memory at once; 100 three-minute calls
     * (≈ 33 MB as Opus) are one batch. Yields the calls in the order given.
     */
    async *exportCalls(p: Principal, ids: readonly string[], detail: Record<string, unknown> = {}): AsyncGenerator<{ id: string; row: RecordingRow; audio: Buffer; contentType: string; view: RecordingView }> {
      await authorize(p, 'recording.audio', ids.length === 1 ? `recording:${ids[0]}` : 'recordings');
      await authorize(p, 'recording.search', ids.length === 1 ? `recording:${ids[0]}` : 'recordings');
      const personal = can(p.roles, 'recording.personal');
      for (let i = 0; i < ids.length;) {
        const batch: { id: string; row: RecordingRow; sealed: Uint8Array; detail: Record<string, unknown> }[] = [];
        let bytes = 0;
        for (; i < ids.length && (batch.length === 0 || bytes + (store.recordings.get(ids[i]!)?.length ?? 0) <= EXPORT_BATCH_BYTES); i++) {
          const id = ids[i]!;
          const row = mustGet(id);
          const d = await mayOpen(p, id, row, 'recording.exported', detail);
          const sealed = await archive.read({ segment: row.segment, offset: row.offset, length: row.length, payloadSha256: row.payloadSha256 });
          batch.push({ id, row, sealed, detail: d });
          bytes += row.length;
        }
        await log.append(batch.flatMap(({ id, row, detail: d }) => [
          { actor: p.actor, action: 'recording.exported', target: `recording:${id}`, detail: { storedFormat: row.storedFormat, ...d } },
          { actor: p.actor, action: 'recording.viewed', target: `recording:${id}`, detail: personal ? {} : { masked: true } },
        ]));
        for (const b of batch.splice(0)) {
          const audio = openerOf(b.id).open(b.sealed);
          yield { id: b.id, row: b.row, audio, contentType: contentTypeOf(b.row.storedFormat), view: view(b.row, personal) };
        }
      }
    },

    /**
     * Like readAudio, but decrypts lazily, one 64 KiB chunk per pull: a player's first
     * request (bytes=0-) gets its first byte after one chunk, not after the whole call.
     */
    async streamAudio(p: Principal, id: string, action: AudioAction, range: (total: number) => [number, number] | null, detail: Record<string, unknown> = {}) {
      const { row, sealed, total, range: r, opener } = await openForAudio(p, id, action, range, detail);
      const [start, end] = r ?? [0, total];
      return {
        row, total, range: r, length: end - start, chunks: opener.openRangeChunks(sealed, start, end), contentType: contentTypeOf(row.storedFormat),
        /** more of the same logged read (a WAV download needs the container's head and tail first) */
        read: (from: number, to: number) => opener.openRange(sealed, from, to),
      };
    },
  };
}

export type Access = ReturnType<typeof createAccess>;

export { downloadWav } from './wav.ts';
