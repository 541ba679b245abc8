import { createHmac } from 'node:crypto';
import type { AlertMessage, Channel } from './types.ts';

/** The signature header: `sha256=` and the hex HMAC-SHA256 of the exact body bytes, keyed by the secret. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  /** tries in all (default 4) and the first back-off (default 1 s, doubled each time) */
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

/**
 * JSON POST `{"rule","severity","at","detail"}` (issue 14's contract), signed. A 5xx, a
 * time-out or a refused connection is retried with exponential back-off; a 4xx is not
 * (the receiver said the request itself is wrong: repeating it changes nothing).
 */
export function webhookChannel(o: WebhookOptions): Channel {
  const attempts = o.attempts ?? 4;
  const backoff = o.backoffMs ?? 1000;
  return {
    name: 'webhook',
    events: ['raised'],
    async send(m: AlertMessage) {
      const body = JSON.stringify({ rule: m.rule, severity: m.severity, at: m.at, detail: { ...m.detail, id: m.id, subject: m.subject } });
      let last = '';
      for (let i = 1; i <= attempts; i++) {
        try {
          const res = await fetch(o.url, {
            method: 'POST', body, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
            headers: { 'Content-Type': 'application/json', 'X-Tresor-Signature': signBody(body, o.secret) },
          });
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) return { attempts: i };
          last = `HTTP ${res.status}`;
          if (res.status < 500) break;
        } catch (e) {
          last = (e as Error).cause ? String(((e as Error).cause as Error).message ?? (e as Error).cause) : (e as Error).message;
        }
        if (i < attempts) await new Promise((r) => setTimeout(r, backoff * 2 ** (i - 1)));
      }
      throw Object.assign(new Error(`webhook ${new URL(o.url).host}: ${last}`), { attempts });
    },
  };
}
