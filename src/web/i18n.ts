import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';

/**
 * German and English labels. German first: most of our sites are in DACH. The choice is
 * a cookie (set by a POST form, not a GET), else the browser's Accept-Language.
 */
export type Lang = 'de' | 'en';
export const LANG_COOKIE = 'tresor_lang';

const en = {
  'app.name': 'Tresor',
  'nav.dashboard': 'Dashboard',
  'nav.recordings': 'Recordings',
  'nav.log': 'Access log',
  'nav.users': 'Users',
  'nav.approvals': 'Approvals',
  'nav.account': 'Account',
  'nav.logout': 'Sign out',
  'nav.skip': 'Skip to content',
  'login.title': 'Sign in',
  'login.name': 'User name',
  'login.password': 'Password',
  'login.totp': 'Code from your authenticator app',
  'login.submit': 'Sign in',
  'login.invalid': 'User name or password is wrong.',
  'login.throttled': 'Too many failed attempts. Try again in {s} seconds.',
  'login.totpNeeded': 'Enter the 6-digit code from your authenticator app.',
  'login.totpEnrol': 'Your role requires a second factor (TOTP). Set it up now: it takes a minute.',
  'login.totpEnrolTitle': 'Set up your second factor',
  'login.totpEnrolStep1': 'Add this key to your authenticator app (or the link below to a password manager):',
  'login.totpEnrolStep2': 'Enter the 6-digit code the app shows.',
  'login.expired': 'Your session ended. Please sign in again.',
  'setup.title': 'Set up Tresor',
  'setup.intro': 'Create the first administrator. This link works once.',
  'setup.invalid': 'This setup link is not valid any more. Restart the service to get a new one (only while no users exist).',
  'setup.submit': 'Create administrator',
  'setup.passwordHint': 'At least 12 characters.',
  'search.title': 'Recordings',
  'search.from': 'From',
  'search.to': 'Until',
  'search.number': 'Phone number',
  'search.agent': 'Agent',
  'search.queue': 'Queue',
  'search.direction': 'Direction',
  'search.consent': 'Consent',
  'search.minDuration': 'Min. duration (s)',
  'search.maxDuration': 'Max. duration (s)',
  'search.any': 'any',
  'search.submit': 'Search',
  'search.none': 'No recordings match.',
  'search.more': 'Older results',
  'search.partial': 'Searched back to {date} without finding more; continue to search further back.',
  'search.masked': 'Numbers and names are hidden for your role.',
  'col.start': 'Start',
  'col.duration': 'Duration',
  'col.direction': 'Direction',
  'col.from': 'From',
  'col.to': 'To',
  'col.agent': 'Agent',
  'col.queue': 'Queue',
  'col.consent': 'Consent',
  'dir.in': 'inbound',
  'dir.out': 'outbound',
  'dir.internal': 'internal',
  'dir.unknown': 'unknown',
  'consent.granted': 'granted',
  'consent.denied': 'denied',
  'consent.unknown': 'unknown',
  'rec.title': 'Recording',
  'rec.play': 'Listen',
  'rec.download': 'Download',
  'rec.downloadStored': 'Download ({fmt})',
  'rec.downloadWav': 'Download WAV',
  'rec.noAudio': 'Your role does not include listening to recordings.',
  'rec.consentEvidence': 'Consent evidence',
  'rec.log': 'Access log entries for this recording',
  'rec.details': 'Details',
  'common.hidden': 'hidden',
  'common.save': 'Save',
  'common.error': 'Something went wrong',
  'common.forbidden': 'Your role does not allow this.',
  'common.notFound': 'Not found.',
  'common.back': 'Back',
  'lang.switch': 'Deutsch',
} as const;

export type MsgKey = keyof typeof en;

const de: Record<MsgKey, string> = {
  'app.name': 'Tresor',
  'nav.dashboard': 'Übersicht',
  'nav.recordings': 'Aufnahmen',
  'nav.log': 'Zugriffsprotokoll',
  'nav.users': 'Benutzer',
  'nav.approvals': 'Freigaben',
  'nav.account': 'Konto',
  'nav.logout': 'Abmelden',
  'nav.skip': 'Zum Inhalt springen',
  'login.title': 'Anmelden',
  'login.name': 'Benutzername',
  'login.password': 'Passwort',
  'login.totp': 'Code aus der Authenticator-App',
  'login.submit': 'Anmelden',
  'login.invalid': 'Benutzername oder Passwort ist falsch.',
  'login.throttled': 'Zu viele Fehlversuche. Bitte in {s} Sekunden erneut versuchen.',
  'login.totpNeeded': 'Bitte den 6-stelligen Code aus der Authenticator-App eingeben.',
  'login.totpEnrol': 'Ihre Rolle verlangt einen zweiten Faktor (TOTP). Richten Sie ihn jetzt ein, es dauert eine Minute.',
  'login.totpEnrolTitle': 'Zweiten Faktor einrichten',
  'login.totpEnrolStep1': 'Fügen Sie diesen Schlüssel Ihrer Authenticator-App hinzu (oder den Link unten einem Passwort-Manager):',
  'login.totpEnrolStep2': 'Geben Sie den 6-stelligen Code aus der App ein.',
  'login.expired': 'Ihre Sitzung ist abgelaufen. Bitte erneut anmelden.',
  'setup.title': 'Tresor einrichten',
  'setup.intro': 'Legen Sie den ersten Administrator an. Dieser Link funktioniert nur einmal.',
  'setup.invalid': 'Dieser Einrichtungslink ist nicht mehr gültig. Ein Neustart des Dienstes erzeugt einen neuen (nur solange es keine Benutzer gibt).',
  'setup.submit': 'Administrator anlegen',
  'setup.passwordHint': 'Mindestens 12 Zeichen.',
  'search.title': 'Aufnahmen',
  'search.from': 'Von',
  'search.to': 'Bis',
  'search.number': 'Rufnummer',
  'search.agent': 'Agent',
  'search.queue': 'Warteschlange',
  'search.direction': 'Richtung',
  'search.consent': 'Einwilligung',
  'search.minDuration': 'Mindestdauer (s)',
  'search.maxDuration': 'Höchstdauer (s)',
  'search.any': 'alle',
  'search.submit': 'Suchen',
  'search.none': 'Keine passenden Aufnahmen.',
  'search.more': 'Ältere Ergebnisse',
  'search.partial': 'Bis {date} zurück gesucht, ohne weitere Treffer; weiter zurück suchen?',
  'search.masked': 'Rufnummern und Namen sind für Ihre Rolle ausgeblendet.',
  'col.start': 'Beginn',
  'col.duration': 'Dauer',
  'col.direction': 'Richtung',
  'col.from': 'Von',
  'col.to': 'An',
  'col.agent': 'Agent',
  'col.queue': 'Warteschlange',
  'col.consent': 'Einwilligung',
  'dir.in': 'eingehend',
  'dir.out': 'ausgehend',
  'dir.internal': 'intern',
  'dir.unknown': 'unbekannt',
  'consent.granted': 'erteilt',
  'consent.denied': 'verweigert',
  'consent.unknown': 'unbekannt',
  'rec.title': 'Aufnahme',
  'rec.play': 'Anhören',
  'rec.download': 'Herunterladen',
  'rec.downloadStored': 'Herunterladen ({fmt})',
  'rec.downloadWav': 'Als WAV herunterladen',
  'rec.noAudio': 'Ihre Rolle erlaubt das Anhören von Aufnahmen nicht.',
  'rec.consentEvidence': 'Nachweis der Einwilligung',
  'rec.log': 'Protokolleinträge zu dieser Aufnahme',
  'rec.details': 'Details',
  'common.hidden': 'ausgeblendet',
  'common.save': 'Speichern',
  'common.error': 'Ein Fehler ist aufgetreten',
  'common.forbidden': 'Ihre Rolle erlaubt das nicht.',
  'common.notFound': 'Nicht gefunden.',
  'common.back': 'Zurück',
  'lang.switch': 'English',
};

const tables: Record<Lang, Record<MsgKey, string>> = { en, de };

export type T = (key: MsgKey, vars?: Record<string, string | number>) => string;

/** A label with its `{name}` placeholders filled in; every label table in views/ uses it. */
export function fill(template: string, vars: Record<string, string | number> = {}): string {
  let s = template;
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** The shared labels (layout, login, search, recording page); views keep their own tables. */
export function translator(lang: Lang) {
  return ((key: string, vars?: Record<string, string | number>) =>
    fill((tables[lang] as Record<string, string>)[key] ?? key, vars)) as T & ((key: string, vars?: Record<string, string | number>) => string);
}

export function pickLang(c: Context, userLang: Lang | null): Lang {
  const cookie = getCookie(c, LANG_COOKIE);
  if (cookie === 'de' || cookie === 'en') return cookie;
  if (userLang) return userLang;
  const accept = (c.req.header('Accept-Language') ?? '').toLowerCase();
  const first = accept.split(',').map((p) => p.trim().slice(0, 2)).find((p) => p === 'de' || p === 'en');
  return first === 'de' ? 'de' : 'en';
}
