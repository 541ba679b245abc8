// A RecordingRow with made-up values, for tests that write the index directly (fault
// injection, the store's own tests). Only what a test names matters.
import type { RecordingRow } from '../../src/store/index.ts';

export function recordingRow(id: string, over: Partial<RecordingRow> = {}): RecordingRow {
  return {
    v: 1, id, start: 1_700_000_000_000, durationMs: 1000, direction: 'in', queue: null, consentState: 'unknown',
    purpose: null, tags: [], channels: 1, sampleRate: 8000, sourceCodec: 'pcm_s16le', storedFormat: 'opus', storedBytes: 0,
    sourceSha256: `sha-of-${id}`, sourceBytes: 0, ingestedAt: 1_700_000_000_000, nameFormat: 'test', startFromMtime: false,
    segment: '', offset: 0, length: 0, payloadSha256: '', personal: new Uint8Array(0), tokens: [],
    ...over,
  };
}
