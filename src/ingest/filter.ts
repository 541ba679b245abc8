// What the inbox scanner takes, pairs, ignores or rejects — decided by the name alone (pure).
// Ignoring is for files that are not finished or not meant for us (editors, SMB clients,
// browsers and copy tools leave these while writing). Anything else that is not audio is
// REJECTED rather than skipped: a stray `.txt` or `.mkv` usually means misconfigured PBX
// output, and a silent skip would hide that.

export type NameKind = 'audio' | 'sidecar' | 'ignore' | 'unsupported';

/** The extensions the media module has a demuxer for (lower case; matched case-insensitively,
 * Asterisk's wav49 writes `.WAV`). */
export const AUDIO_EXTENSIONS: ReadonlySet<string> = new Set([
  'wav', 'mp3', 'ogg', 'opus', 'oga', 'flac', 'gsm',
  'ulaw', 'ul', 'mulaw', 'alaw', 'al', 'sln', 'sln16', 'raw',
]);

export const SIDECAR_EXTENSION = 'json';

/** Suffixes of files still being written or left by tools (lower case). */
const TEMP_SUFFIXES = ['.part', '.partial', '.tmp', '.temp', '.crdownload', '.download', '.filepart', '.swp', '.swx'];

/** OS and NAS housekeeping files that are not recordings and not a PBX fault. */
const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini']);

/** Folders never entered: NAS and OS housekeeping (hidden ones are skipped anyway). */
const SYSTEM_DIRS = new Set(['@eadir', '#recycle', '#snapshot', '$recycle.bin', 'lost+found', 'system volume information']);

export function classifyName(name: string): NameKind {
  if (isIgnoredName(name)) return 'ignore';
  const ext = extensionOf(name);
  if (ext === SIDECAR_EXTENSION) return 'sidecar';
  if (ext !== '' && AUDIO_EXTENSIONS.has(ext)) return 'audio';
  return 'unsupported';
}

/** Hidden (`.x`, which covers `.~lock*`, rsync's `.name.XXXX`, NFS `.nfs*`), Office `~$*`,
 * Samba `~smb*`, editor backups `name~`, and temporary suffixes. */
export function isIgnoredName(name: string): boolean {
  const lower = name.toLowerCase();
  if (name === '' || name.startsWith('.') || name.startsWith('~$') || lower.startsWith('~smb')) return true;
  if (name.endsWith('~')) return true;
  if (SYSTEM_FILES.has(lower)) return true;
  return TEMP_SUFFIXES.some((s) => lower.endsWith(s));
}

export function isIgnoredDirName(name: string): boolean {
  return name.startsWith('.') || SYSTEM_DIRS.has(name.toLowerCase());
}

/** Lower-case extension without the dot; '' when there is none. */
export function extensionOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i <= 0 ? '' : name.slice(i + 1).toLowerCase();
}

/** `NAME.wav` → `NAME`: the key that pairs an audio file with `NAME.json`. */
export function stemOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i <= 0 ? name : name.slice(0, i);
}
