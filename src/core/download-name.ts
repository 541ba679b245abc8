import type { Direction } from './types.ts';

const DIRECTION_WORD: Record<Direction, string> = { in: 'inbound', out: 'outbound', internal: 'internal', unknown: 'call' };

/**
 * The file name of a downloaded call (issue 15, item 2): what it is, readable in a
 * Downloads folder and sorted by time — `2026-11-30_1530_inbound_<id>.ogg`. The time is
 * the box's wall clock (the console shows that one), to the minute; no phone numbers or
 * names: a file name travels further than the file's access rules (GDPR Art. 5(1)(f)).
 * Only characters safe in a quoted Content-Disposition filename and on every file system.
 */
export function downloadName(r: { id: string; start: number; direction: Direction }, ext: string, timeZone?: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(new Date(r.start))
      .map((p) => [p.type, p.value]),
  );
  const safeId = r.id.replace(/[^A-Za-z0-9_-]/g, '');
  return `${parts.year}-${parts.month}-${parts.day}_${parts.hour}${parts.minute}_${DIRECTION_WORD[r.direction] ?? 'call'}_${safeId}.${ext}`;
}

/** The extension a stored format is downloaded with: Opus lives in an Ogg container, and .ogg is what players know. */
export const storedExtension = (storedFormat: string): string => (storedFormat === 'opus' ? 'ogg' : storedFormat === 'flac' ? 'flac' : 'bin');
