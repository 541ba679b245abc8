import { Readable } from 'node:stream';
import type { Principal } from '../auth/roles.ts';
import { OGG_TAIL_BYTES, SNIFF_BYTES, type Media, type WavDownload } from '../media/index.ts';
import type { Access, AudioAction } from './index.ts';
import type { RecordingRow } from '../store/index.ts';

/**
 * A recording as a streamed WAV at its own rate, for the console's download and
 * `tresor extract --format wav`. The order of the door holds: authorise (a refusal is
 * logged and takes no download slot), wait for a slot, append the log entry, then decrypt
 * as ffmpeg reads. Destroying the body stops ffmpeg and frees the slot.
 */
export async function downloadWav(access: Access, media: Media, p: Principal, id: string, action: AudioAction, signal?: AbortSignal, detail: Record<string, unknown> = {}): Promise<WavDownload & { row: RecordingRow }> {
  await access.authorize(p, 'recording.audio', `recording:${id}`);
  let row: RecordingRow | undefined;
  const w = await media.streamWav(async () => {
    const r = await access.streamAudio(p, id, action, () => null, { ...detail, format: 'wav' });
    row = r.row;
    return {
      input: Readable.from(r.chunks),
      storedFormat: r.row.storedFormat,
      head: r.read(0, Math.min(r.total, SNIFF_BYTES)),
      tail: r.read(Math.max(0, r.total - OGG_TAIL_BYTES), r.total),
      channels: r.row.channels,
      sampleRate: r.row.sampleRate,
      durationMs: r.row.durationMs,
    };
  }, { signal });
  // the row the stream was opened with (its start and direction name the file)
  return { ...w, row: row! };
}
