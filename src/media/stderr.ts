// Reading ffmpeg's stderr as it arrives: the -progress key=value blocks (heartbeat and
// duration), the source stream line (codec, rate, channels), and a bounded tail of the
// remaining lines for error reasons. Pure: feed it text, read its state.
//
// The header sections ffmpeg prints ("Input #0 …", "Output #0 …") list the file's tags,
// which can hold names and phone numbers; only their Duration and Stream lines are kept,
// so that nothing personal reaches error details, quarantine reasons or the audit log.

export interface SourceStream {
  /** ffmpeg's decoder name: pcm_mulaw, pcm_alaw, pcm_s16le, gsm_ms, mp3, opus … */
  codec: string;
  sampleRate: number;
  /** null when ffmpeg printed a layout we do not know */
  channels: number | null;
}

export interface StderrState {
  source: SourceStream | null;
  /** last out_time_us (of the output stream); null until ffmpeg reports one */
  outTimeUs: number | null;
  /** true once "progress=end" came: ffmpeg finished writing */
  ended: boolean;
  /** non-progress lines, newest last, at most TAIL_BYTES in all */
  lines: string[];
}

export const TAIL_BYTES = 64 * 1024;

const PROGRESS_KEY = /^(?:frame|fps|stream_\d+_\d+_q|bitrate|total_size|out_time_us|out_time_ms|out_time|dup_frames|drop_frames|speed|progress)=/;
const STREAM_LINE = /^\s*Stream #0:\d+(?:\[[^\]]*\])?(?:\([^)]*\))?: Audio: ([A-Za-z0-9_]+)[^,]*, (\d+) Hz, ([^,]+)/;
const LAYOUTS: Record<string, number> = { mono: 1, stereo: 2, '2.1': 3, '3.0': 3, quad: 4, '4.0': 4, '5.0': 5, '5.1': 6, '7.1': 8 };

export function parseChannels(layout: string): number | null {
  const s = layout.trim().replace(/\(.*\)$/, '');
  const n = /^(\d+) channels?$/.exec(s);
  return n ? Number(n[1]) : LAYOUTS[s] ?? null;
}

export interface StderrParser {
  readonly state: StderrState;
  /** Feeds more text; returns true when the output advanced (a heartbeat for the watchdog). */
  push(text: string): boolean;
  /** Flushes a last line that had no newline. */
  end(): void;
}

export function createStderrParser(): StderrParser {
  const state: StderrState = { source: null, outTimeUs: null, ended: false, lines: [] };
  let pending = '';
  let tailBytes = 0;
  let section: 'none' | 'input' | 'output' = 'none';

  function keep(line: string): void {
    state.lines.push(line);
    tailBytes += line.length + 1;
    while (tailBytes > TAIL_BYTES && state.lines.length > 1) tailBytes -= state.lines.shift()!.length + 1;
  }

  function line(l: string): boolean {
    if (l.trim() === '') return false;
    if (PROGRESS_KEY.test(l)) return progress(l);
    if (/^Input #\d+,/.test(l)) section = 'input';
    else if (/^Output #\d+,/.test(l)) section = 'output';
    else if (!/^\s/.test(l)) section = 'none';
    if (section === 'none') {
      // the final human stats line ("size= … time=00:00:03.01 …") is printed even with -nostats
      const t = /^size=.*\btime=(\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(l);
      if (t && state.outTimeUs === null) state.outTimeUs = Math.round(((Number(t[1]) * 60 + Number(t[2])) * 60 + Number(t[3])) * 1e6);
      if (!t) keep(l);
      return false;
    }
    const stream = STREAM_LINE.exec(l);
    if (stream && section === 'input' && !state.source) {
      state.source = { codec: stream[1]!, sampleRate: Number(stream[2]), channels: parseChannels(stream[3]!) };
    }
    if (stream || /^(?:Input|Output) #|^\s*Duration:/.test(l)) keep(l.replace(/, from '.*'|, to '.*'/, ''));
    return false;
  }

  function progress(l: string): boolean {
    const eq = l.indexOf('=');
    const key = l.slice(0, eq);
    const value = l.slice(eq + 1).trim();
    if (key === 'progress') state.ended ||= value === 'end';
    if (key !== 'out_time_us' || !/^\d+$/.test(value)) return false;
    const us = Number(value);
    const advanced = state.outTimeUs === null || us > state.outTimeUs;
    state.outTimeUs = us;
    return advanced;
  }

  return {
    state,
    push(text) {
      const parts = (pending + text).split(/\r\n|\r|\n/);
      pending = parts.pop() ?? '';
      let advanced = false;
      for (const l of parts) advanced = line(l) || advanced;
      return advanced;
    },
    end() {
      if (pending) line(pending);
      pending = '';
    },
  };
}

/** The lines worth showing a person when a run failed: the last few that are not noise. */
export function failureReason(lines: readonly string[], max = 6): string[] {
  const useful = lines.filter((l) => !/^\s*(?:Stream mapping:|Stream #|Input #|Output #|Duration:|Press \[q\])|^Guessed Channel Layout|^\s*Metadata:|video:\d+kB audio:/.test(l));
  return useful.slice(-max).map((l) => l.trim());
}

// The mp3 demuxer cannot seek on a pipe to check its duration estimate; says nothing about the audio.
const HARMLESS = /invalid concatenated file detected|Estimating duration from bitrate/;

/** Decoder complaints worth keeping with the recording (corrupt packets and the like), deduplicated. */
export function decoderWarnings(lines: readonly string[], max = 5): string[] {
  const seen = new Set<string>();
  for (const l of lines) {
    if (!/corrupt|invalid|error|truncat|skipp|incomplete|overread|discard/i.test(l) || HARMLESS.test(l)) continue;
    seen.add(l.replace(/^\[[^\]@]+@ 0x[0-9a-f]+\] /, '').trim());
    if (seen.size >= max) break;
  }
  return [...seen];
}
