import type { AlertRow } from '../../store/index.ts';
import type { AlertMessage, Channel } from './types.ts';

/**
 * sd-daemon(3) priority prefixes: a line on stderr that starts with `<N>` is stored by
 * journald at syslog priority N (SyslogLevelPrefix=yes is the default), so
 * `journalctl -p warning -u tresor` shows alerts without parsing anything.
 */
export const PRIORITY: Record<AlertRow['severity'], number> = { critical: 2, warning: 4, notice: 5 };
const CLEARED = 6; // info: the condition is gone

/** One structured line: the prefix, a fixed tag, then JSON (a collector can parse it). */
export function journalLine(m: AlertMessage): string {
  const prio = m.event === 'raised' ? PRIORITY[m.severity] : CLEARED;
  return `<${prio}>tresor-alert ${JSON.stringify({ event: m.event, id: m.id, rule: m.rule, severity: m.severity, subject: m.subject, at: m.at, detail: m.detail })}`;
}

export function journalChannel(write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Channel {
  return {
    name: 'journal',
    events: ['raised', 'acknowledged', 'cleared'],
    async send(m) {
      write(journalLine(m));
      return { attempts: 1 };
    },
  };
}
