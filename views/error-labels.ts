import type { ErrorCode } from '../src/core/errors.ts';
import type { Lang } from './i18n.ts';

/**
 * The console's heading for an error, by code (src/core/errors.ts): what a person reads
 * first, in their language. The message under it comes from where the error was raised
 * (English, with the names and numbers that matter); a 500 shows only the heading and
 * the hint, never its message. Both tables are Record<ErrorCode, …>, so a new code
 * without labels does not compile (and test/errors.test.ts says which is missing).
 */
const en: Record<ErrorCode, string> = {
  E_USAGE: 'The request is not complete',
  E_INVALID: 'Please check your input',
  E_EXISTS: 'This name is taken',
  E_LAST_ADMIN: 'At least one administrator must stay',
  E_LOCKED: 'This policy is locked',
  E_UNAUTHENTICATED: 'Please sign in',
  E_FORBIDDEN: 'Your role does not allow this',
  E_FOUR_EYES: 'A second person has to decide',
  E_REJECT_ONLY: 'This request can only be rejected',
  E_NOT_FOUND: 'Not found',
  E_READ_ONLY: 'Changes are made in the console',
  E_CONFLICT: 'Something else came first',
  E_EXPIRED: 'This request has expired',
  E_ALREADY_DECIDED: 'This request was decided already',
  E_NEEDS_APPROVAL: 'This change needs a second person',
  E_NEEDS_EXCLUSIVE: 'Stop the service first',
  E_TOO_LARGE: 'Too large',
  E_RANGE: 'That part of the recording does not exist',
  E_EMPTY_FILE: 'The file is empty',
  E_UNSUPPORTED_FORMAT: 'This audio format is not supported',
  E_DECODE_FAILED: 'The recording cannot be decoded',
  E_NO_AUDIO: 'The file holds no audio',
  E_TRUNCATED: 'The recording is cut short',
  E_BAD_HEADER: 'The file header cannot be right',
  E_NOT_REGULAR_FILE: 'Not a regular file',
  E_SIDECAR_INVALID: 'The call metadata is invalid',
  E_FFMPEG_TIMEOUT: 'Audio conversion took too long',
  E_FFMPEG_MISSING: 'Audio conversion is not available',
  E_BUSY: 'Busy right now: try again shortly',
  E_DISK_FULL: 'The disk is full',
  E_CONFIG: 'The configuration is invalid',
  E_KEYS_MISSING: 'A key is missing',
  E_KEYS_INVALID: 'A key is invalid',
  E_IO: 'A storage error occurred',
  E_READBACK_MISMATCH: 'A storage check failed',
  E_INTEGRITY: 'Stored data is damaged',
  E_CRYPTO: 'Stored data does not decrypt',
  E_LOG_INCONSISTENT: 'The access log is inconsistent',
  E_NO_ARCHIVE: 'There is no archive',
  E_INDEX_DAMAGED: 'The index is damaged',
  E_ROTATION_UNFINISHED: 'A key rotation is unfinished',
  E_INTERNAL: 'Something went wrong',
};

const de: Record<ErrorCode, string> = {
  E_USAGE: 'Die Anfrage ist unvollständig',
  E_INVALID: 'Bitte prüfen Sie Ihre Eingabe',
  E_EXISTS: 'Dieser Name ist vergeben',
  E_LAST_ADMIN: 'Mindestens ein Administrator muss bleiben',
  E_LOCKED: 'Diese Richtlinie ist gesperrt',
  E_UNAUTHENTICATED: 'Bitte melden Sie sich an',
  E_FORBIDDEN: 'Ihre Rolle erlaubt das nicht',
  E_FOUR_EYES: 'Eine zweite Person muss entscheiden',
  E_REJECT_ONLY: 'Dieser Antrag kann nur abgelehnt werden',
  E_NOT_FOUND: 'Nicht gefunden',
  E_READ_ONLY: 'Änderungen nur über die Konsole',
  E_CONFLICT: 'Etwas anderes kam zuvor',
  E_EXPIRED: 'Dieser Antrag ist abgelaufen',
  E_ALREADY_DECIDED: 'Über diesen Antrag wurde bereits entschieden',
  E_NEEDS_APPROVAL: 'Diese Änderung braucht eine zweite Person',
  E_NEEDS_EXCLUSIVE: 'Bitte zuerst den Dienst anhalten',
  E_TOO_LARGE: 'Zu groß',
  E_RANGE: 'Diesen Teil der Aufnahme gibt es nicht',
  E_EMPTY_FILE: 'Die Datei ist leer',
  E_UNSUPPORTED_FORMAT: 'Dieses Audioformat wird nicht unterstützt',
  E_DECODE_FAILED: 'Die Aufnahme lässt sich nicht dekodieren',
  E_NO_AUDIO: 'Die Datei enthält kein Audio',
  E_TRUNCATED: 'Die Aufnahme ist abgeschnitten',
  E_BAD_HEADER: 'Der Dateikopf kann nicht stimmen',
  E_NOT_REGULAR_FILE: 'Keine gewöhnliche Datei',
  E_SIDECAR_INVALID: 'Die Gesprächsdaten sind ungültig',
  E_FFMPEG_TIMEOUT: 'Die Audiokonvertierung dauerte zu lange',
  E_FFMPEG_MISSING: 'Audiokonvertierung ist nicht verfügbar',
  E_BUSY: 'Gerade ausgelastet: bitte gleich erneut versuchen',
  E_DISK_FULL: 'Der Datenträger ist voll',
  E_CONFIG: 'Die Konfiguration ist ungültig',
  E_KEYS_MISSING: 'Ein Schlüssel fehlt',
  E_KEYS_INVALID: 'Ein Schlüssel ist ungültig',
  E_IO: 'Ein Speicherfehler ist aufgetreten',
  E_READBACK_MISMATCH: 'Eine Speicherprüfung ist fehlgeschlagen',
  E_INTEGRITY: 'Gespeicherte Daten sind beschädigt',
  E_CRYPTO: 'Gespeicherte Daten lassen sich nicht entschlüsseln',
  E_LOG_INCONSISTENT: 'Das Zugriffsprotokoll ist widersprüchlich',
  E_NO_ARCHIVE: 'Es gibt kein Archiv',
  E_INDEX_DAMAGED: 'Der Index ist beschädigt',
  E_ROTATION_UNFINISHED: 'Ein Schlüsselwechsel ist unvollständig',
  E_INTERNAL: 'Ein Fehler ist aufgetreten',
};

/** The hint under a 500: the message stays in the journal, for the administrator. */
const internalHint: Record<Lang, string> = {
  en: 'The details are in the service journal (journalctl -u tresor).',
  de: 'Die Einzelheiten stehen im Journal des Dienstes (journalctl -u tresor).',
};

export const ERROR_LABELS: Record<Lang, Record<ErrorCode, string>> = { en, de };

export function errorLabel(lang: Lang, code: ErrorCode): string {
  return ERROR_LABELS[lang][code];
}

export function internalErrorHint(lang: Lang): string {
  return internalHint[lang];
}
