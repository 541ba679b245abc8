import { TresorError } from '../core/errors.ts';
import type { LogWriter, RecordingView } from '../core/types.ts';
import { open, type Keyring, type WrappedDek } from '../crypto/index.ts';
import type { Archive } from '../archive/index.ts';
import {
  getRecording, searchRecordings, type IndexStore, type PersonalFields, type RecordingRow, type SearchFilters,
} from '../index/index.ts';

/**
 * The single door to recording content (DESIGN §1): every read appends its log entry
 * durably, and only then decrypts. Nothing else in Tresor unwraps a recording's DEK.
 * (Role checks come with the console's users; CLI actors are local admins.)
 */
export interface AccessDeps {
  store: IndexStore;
  keys: Keyring;
  archive: Archive;
  log: LogWriter;
}

export interface SearchQuery extends Omit<SearchFilters, 'phoneToken' | 'agentToken'> {
  /** E.164 number (already normalised by the caller) */
  number?: string;
  agent?: string;
}

export function createAccess(deps: AccessDeps) {
  const { store, keys, archive, log } = deps;

  function dekOf(id: string): Uint8Array {
    const w = store.keys.get(id) as WrappedDek | undefined;
    if (!w) throw new TresorError('E_NOT_FOUND', `recording ${id} has no key (purged)`);
    return keys.unwrapDek(w);
  }

  function personalOf(row: RecordingRow, dek: Uint8Array): PersonalFields {
    return JSON.parse(open(dek, row.personal).toString('utf8')) as PersonalFields;
  }

  function view(row: RecordingRow): RecordingView {
    const p = personalOf(row, dekOf(row.id));
    return {
      id: row.id, start: new Date(row.start).toISOString(), durationMs: row.durationMs, direction: row.direction,
      from: p.from, to: p.to, agent: p.agent, queue: row.queue, consent: p.consent, purpose: row.purpose,
      tags: row.tags, callId: p.callId, sourceName: p.sourceName, sourceSha256: row.sourceSha256,
      sourceBytes: row.sourceBytes, channels: row.channels, sampleRate: row.sampleRate, storedFormat: row.storedFormat,
      storedBytes: row.storedBytes, ingestedAt: new Date(row.ingestedAt).toISOString(),
    };
  }

  function mustGet(id: string): RecordingRow {
    const row = getRecording(store, id);
    if (!row) throw new TresorError('E_NOT_FOUND', `no recording ${id}`);
    return row;
  }

  return {
    async search(actor: string, q: SearchQuery): Promise<RecordingView[]> {
      const { number, agent, ...rest } = q;
      const filters: SearchFilters = {
        ...rest,
        ...(number ? { phoneToken: keys.token('phone', number) } : {}),
        ...(agent ? { agentToken: keys.token('agent', agent.trim().toLowerCase()) } : {}),
      };
      const rows = searchRecordings(store, filters);
      // The entry names the tokens, never the number or agent searched for.
      const { phoneToken, agentToken, ...plain } = filters;
      await log.append([{
        actor, action: 'recording.searched', target: 'recordings',
        detail: {
          filters: { ...plain, ...(phoneToken ? { phoneToken: phoneToken.slice(0, 16) } : {}), ...(agentToken ? { agentToken: agentToken.slice(0, 16) } : {}) },
          results: rows.map((r) => r.id),
        },
      }]);
      return rows.map(view);
    },
    async view(actor: string, id: string): Promise<RecordingView> {
      const row = mustGet(id);
      await log.append([{ actor, action: 'recording.viewed', target: `recording:${id}`, detail: {} }]);
      return view(row);
    },
    /** stored audio (Opus/FLAC/original) after a durable log entry naming why */
    async readAudio(actor: string, id: string, action: 'recording.played' | 'recording.exported' | 'recording.downloaded', detail: Record<string, unknown> = {}) {
      const row = mustGet(id);
      await log.append([{ actor, action, target: `recording:${id}`, detail: { storedFormat: row.storedFormat, ...detail } }]);
      const sealed = await archive.read({ segment: row.segment, offset: row.offset, length: row.length, payloadSha256: row.payloadSha256 });
      return { row, audio: open(dekOf(id), sealed) };
    },
  };
}

export type Access = ReturnType<typeof createAccess>;
