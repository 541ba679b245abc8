import nodemailer from 'nodemailer';
import type { AlertMessage, Channel } from './types.ts';

/**
 * Mail over the site's SMTP relay to the configured addresses. STARTTLS is used when the
 * relay offers it; a relay on the LAN without TLS still gets the mail (the message holds
 * rule names and counts only, no personal data).
 */
export function smtpChannel(o: { host: string; port: number; from: string; to: string[] }): Channel {
  const transport = nodemailer.createTransport({ host: o.host, port: o.port, secure: false, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
  return {
    name: 'smtp',
    events: ['raised'],
    async send(m: AlertMessage) {
      const lines = Object.entries(m.detail).map(([k, v]) => `  ${k}: ${v}`);
      await transport.sendMail({
        from: o.from, to: o.to,
        subject: `[Tresor ${m.severity}] ${m.rule}${m.subject ? ` (${m.subject})` : ''}`,
        text: [`Alert ${m.id}: ${m.rule}, severity ${m.severity}, raised ${m.at}.`, ...(m.subject ? [`About: ${m.subject}`] : []), '', ...lines, '', 'Acknowledge it on the Tresor console (Alerts) or with: tresor alerts ack ' + m.id].join('\n'),
      });
      return { attempts: 1 };
    },
  };
}
