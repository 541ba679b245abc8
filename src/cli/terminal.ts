/**
 * Text for a terminal: every character that a terminal acts on instead of showing is
 * replaced by a visible `\uXXXX` escape. File names and sidecar fields come from whoever
 * can write into the PBX share; printed raw, ESC sequences clear the screen, move the
 * cursor over earlier lines or set the window title, a carriage return hides the start
 * of a line, C1 controls (U+0080–U+009F; U+009B is CSI) do the same on some terminals,
 * and bidi overrides (Trojan Source, CVE-2021-42574) reorder what a line appears to say.
 * Newline and tab stay: they are our own line and column separators.
 *
 * The escape is also a valid JSON string escape, so `--json` output stays valid JSON with
 * the same meaning.
 */
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(s: string): string {
  return s.replace(UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
