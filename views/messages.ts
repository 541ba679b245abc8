import { fill, type Lang } from './i18n.ts';

/**
 * Server messages in German (issue 15 #7). A refusal is raised in English where it happens,
 * with the names and numbers that matter ("no recording 01J…"); the console shows a German
 * reader the same message in German. Each entry is the English message as the source writes
 * it, with `{name}` where the source fills in a value, and its German text with the same
 * names; the first entry that matches wins. A message without an entry is shown as it is,
 * in English. The API always answers in English, since tools read it.
 *
 * test/i18n.test.ts reads the refusals of the modules the console shows and fails on one
 * that has no entry here.
 */
const MESSAGES: readonly (readonly [en: string, de: string])[] = [
  // sign-in, session, CSRF (src/web/session.ts, security.ts, page.ts)
  ['your roles ({roles}) do not include {needs}', 'Ihre Rollen ({roles}) umfassen diese Berechtigung nicht: {needs}'],
  ['{actor} may not do this (needs {perm})', '{actor} darf das nicht (dafür nötig: {perm})'],
  ['Sign in first.', 'Bitte melden Sie sich zuerst an.'],
  ['Sign in to the console; API tokens work on /api/ only.', 'Bitte melden Sie sich an der Konsole an; API-Tokens gelten nur für /api/.'],
  ['API tokens work on /api/ only; the console needs a person signed in.', 'API-Tokens gelten nur für /api/; die Konsole braucht eine angemeldete Person.'],
  ['Refused: the form is out of date or was not sent by the console (CSRF token missing or wrong). Reload the page and try again.', 'Abgewiesen: Das Formular ist veraltet oder kam nicht aus der Konsole (CSRF-Token fehlt oder ist falsch). Bitte die Seite neu laden und es erneut versuchen.'],
  ['Refused: this page was asked for by another site (even one on the same host). Open it from the Tresor console, or type its address.', 'Abgewiesen: Diese Seite wurde von einer anderen Website angefordert (auch auf demselben Rechner). Öffnen Sie sie aus der Tresor-Konsole oder geben Sie die Adresse selbst ein.'],
  ['Refused: this request did not come from the Tresor console (origin {origin}, expected {expected}).', 'Abgewiesen: Diese Anfrage kam nicht aus der Tresor-Konsole (Herkunft {origin}, erwartet {expected}).'],
  ['The request body could not be read (incomplete, or not valid form data).', 'Die Anfrage ließ sich nicht lesen (unvollständig oder keine gültigen Formulardaten).'],
  ['Request body too large (limit {kib} KiB).', 'Die Anfrage ist zu groß (Grenze {kib} KiB).'],
  ['this link is not valid (used, replaced or expired); ask an administrator for a new one', 'Dieser Link ist nicht gültig (benutzt, ersetzt oder abgelaufen); bitten Sie einen Administrator um einen neuen.'],
  ['this setup link is not valid (used, expired, or users exist already)', 'Dieser Einrichtungslink ist nicht gültig (benutzt, abgelaufen oder es gibt schon Benutzer).'],
  ['users exist already: the setup link is void', 'Es gibt schon Benutzer: Der Einrichtungslink ist ungültig.'],
  // users, roles, tokens (src/auth)
  ['a user "{name}" exists already', 'Einen Benutzer „{name}“ gibt es schon.'],
  ['no user "{name}"', 'Keinen Benutzer „{name}“ gefunden.'],
  ['give at least one role: admin, supervisor, dpo, auditor', 'Bitte mindestens eine Rolle angeben: admin, supervisor, dpo, auditor.'],
  ['unknown role "{role}" (admin, supervisor, dpo, auditor)', 'Unbekannte Rolle „{role}“ (admin, supervisor, dpo, auditor).'],
  ['granting roles to {user} needs an approved {kind} request', 'Rollen für {user} zu vergeben braucht einen freigegebenen Antrag ({kind}).'],
  ['this role grant request names no user or no role', 'Dieser Rollenantrag nennt keinen Benutzer oder keine Rolle.'],
  ['no API token {id} for "{user}"', 'Kein API-Token {id} für „{user}“.'],
  ['no API token {id}', 'Kein API-Token {id}.'],
  ['you have no API token {id}', 'Sie haben kein API-Token {id}.'],
  // four-eyes approvals (src/approvals)
  ['this request was already decided ({state} by {by})', 'Über diesen Antrag wurde bereits entschieden ({state} von {by}).'],
  ['this request was already decided ({state})', 'Über diesen Antrag wurde bereits entschieden ({state}).'],
  ['a request to {kind} {target} is already waiting for a decision ({id})', 'Ein Antrag ({kind} {target}) wartet bereits auf eine Entscheidung ({id}).'],
  ['this request expired on {at}; ask again if it is still needed', 'Dieser Antrag ist am {at} verfallen; bitte neu stellen, falls er noch nötig ist.'],
  ['deciding four-eyes requests needs the approvals.decide permission (roles admin or dpo)', 'Über Vier-Augen-Anträge entscheiden darf nur, wer die Berechtigung approvals.decide hat (Rollen admin oder dpo).'],
  ['this request is about you: a different person has to decide it (four-eyes rule)', 'Dieser Antrag betrifft Sie selbst: Eine andere Person muss entscheiden (Vier-Augen-Prinzip).'],
  ['you asked for this yourself: a second, different person has to decide (four-eyes rule)', 'Sie haben das selbst beantragt: Eine zweite, andere Person muss entscheiden (Vier-Augen-Prinzip).'],
  ['give a reason: the second person decides on it', 'Bitte eine Begründung angeben: Die zweite Person entscheidet darüber.'],
  ['no approval request {id}', 'Kein Freigabeantrag {id}.'],
  ['this request comes from the configuration file, whose author nobody can check: it takes effect after its grace period ({until}) unless rejected; it cannot be approved earlier', 'Dieser Antrag stammt aus der Konfigurationsdatei, deren Urheber niemand prüfen kann: Er wirkt nach seiner Schonfrist ({until}), sofern ihn niemand ablehnt; früher freigeben lässt er sich nicht.'],
  // recordings, search, audio (src/access, src/web/routes)
  ['no recording {id}', 'Keine Aufnahme {id}.'],
  ['no recording {id}, and no record of a purge', 'Keine Aufnahme {id} und keine Spur einer Löschung.'],
  ['recording {id} has no key (purged)', 'Aufnahme {id} hat keinen Schlüssel mehr (gelöscht).'],
  ['recording {id} was purged on {at}{rest}', 'Aufnahme {id} wurde am {at} gelöscht{rest}'],
  ['recording {id} went meanwhile', 'Aufnahme {id} ist inzwischen gelöscht.'],
  ['recording {id} is restricted under Art. 18 GDPR ({why}); only a dpo giving a legal-claims reason may open it', 'Aufnahme {id} ist nach Art. 18 DSGVO eingeschränkt ({why}); öffnen darf sie nur die/der DSB mit Angabe eines Rechtsanspruchs.'],
  ['recording {id} was kept although the caller denied consent: it can never be played, downloaded or exported, only erased', 'Aufnahme {id} wurde trotz verweigerter Einwilligung aufbewahrt: Sie kann nie angehört, heruntergeladen oder exportiert, nur gelöscht werden.'],
  ['number: "{number}" is not a phone number', 'Rufnummer: „{number}“ ist keine Telefonnummer.'],
  ['from is after to', '„Von“ liegt nach „Bis“.'],
  ['{a} is after {b}', '{a} liegt nach {b}.'],
  ['{what}: whole seconds, e.g. 30', '{what}: ganze Sekunden, z. B. 30.'],
  ['{what}: "{text}" is not a date (2026-11-27, 2026-11-27T14:00 or 2026-11-27T14:00:00Z)', '{what}: „{text}“ ist kein Datum (2026-11-27, 2026-11-27T14:00 oder 2026-11-27T14:00:00Z).'],
  ['consent: one of {values}', 'Einwilligung: einer der Werte {values}.'],
  ['direction: one of {values}', 'Richtung: einer der Werte {values}.'],
  ['limit: 1 to 1000', 'Anzahl: 1 bis 1000.'],
  ['cursor is not one this server gave out', 'Diese Seitenmarke stammt nicht von diesem Server.'],
  ['format: stored or wav', 'Format: stored oder wav.'],
  ['WAV conversion is not available on this server', 'Die Umwandlung in WAV ist auf diesem Server nicht verfügbar.'],
  ['unsatisfiable range', 'Dieser Teil der Aufnahme existiert nicht.'],
  ['no checkpoint has been signed yet', 'Es wurde noch kein Prüfpunkt signiert.'],
  // purge runs, reports
  ['no purge run {id}', 'Kein Löschlauf {id}.'],
  ['purge run {id} has no report', 'Löschlauf {id} hat keinen Bericht.'],
  ['the report file of purge run {id} is missing', 'Die Berichtsdatei von Löschlauf {id} fehlt.'],
  ['no report {file}', 'Kein Bericht {file}.'],
  // legal holds, early deletion (src/retention)
  ['a hold needs a case name (e.g. the court file number)', 'Ein Legal Hold braucht ein Verfahren (z. B. das Aktenzeichen).'],
  ['a hold needs a reason', 'Ein Legal Hold braucht eine Begründung.'],
  ['a hold needs recording ids or at least one search field', 'Ein Legal Hold braucht Aufnahme-IDs oder mindestens ein Suchfeld.'],
  ['hold search: consent is granted, denied or unknown', 'Hold-Suche: Einwilligung ist granted, denied oder unknown.'],
  ['hold search: direction is in, out, internal or unknown', 'Hold-Suche: Richtung ist in, out, internal oder unknown.'],
  ['hold search: from is after to', 'Hold-Suche: „Von“ liegt nach „Bis“.'],
  ['hold search: {field} is not a time', 'Hold-Suche: {field} ist keine Zeitangabe.'],
  ['hold search: {field} must be a non-empty string', 'Hold-Suche: {field} darf nicht leer sein.'],
  ['hold search: unknown field "{field}"', 'Hold-Suche: unbekanntes Feld „{field}“.'],
  ['hold {id} is already released', 'Legal Hold {id} ist bereits aufgehoben.'],
  ['no hold {id}', 'Kein Legal Hold {id}.'],
  ['no legal hold {id}', 'Kein Legal Hold {id}.'],
  ['releasing hold {id} needs an approved {kind} request for it', 'Legal Hold {id} aufzuheben braucht einen freigegebenen Antrag ({kind}).'],
  ['early deletion needs an approved {kind} request', 'Vorzeitige Löschung braucht einen freigegebenen Antrag ({kind}).'],
  ['name at least one recording id to delete', 'Bitte mindestens eine zu löschende Aufnahme-ID angeben.'],
  ['at most {n} recordings per request', 'Höchstens {n} Aufnahmen pro Antrag.'],
  ['at most {n} ids per hold; hold by search (queue, number, dates) instead', 'Höchstens {n} IDs pro Legal Hold; halten Sie stattdessen per Suche zurück (Warteschlange, Rufnummer, Zeitraum).'],
  ['not recording ids: {ids}', 'Keine Aufnahme-IDs: {ids}'],
  ['not in the archive{rest}', 'Nicht im Archiv{rest}'],
  ['the case name is longer than {n} characters', 'Das Verfahren ist länger als {n} Zeichen.'],
  ['the reason is longer than {n} characters', 'Die Begründung ist länger als {n} Zeichen.'],
  ['the note is longer than {n} characters', 'Die Notiz ist länger als {n} Zeichen.'],
  // retention policies (src/policy, src/retention)
  ['"{text}" is not an ISO 8601 duration (e.g. P90D, P6M, P5Y)', '„{text}“ ist keine ISO-8601-Dauer (z. B. P90D, P6M, P5Y).'],
  ['{where}: keep must be an ISO 8601 duration such as "P90D" or "P5Y"', '{where}: Die Aufbewahrung muss eine ISO-8601-Dauer sein, etwa „P90D“ oder „P5Y“.'],
  ['{where}: keep must be at least one day', '{where}: Die Aufbewahrung muss mindestens einen Tag betragen.'],
  ['{where}: lock must be true or false', '{where}: Sperre ist true oder false.'],
  ['{where}: match must be an object', '{where}: „Gilt für“ muss ein Objekt sein.'],
  ['{where}: match.{key} is not a field ({fields})', '{where}: match.{key} ist kein Feld ({fields}).'],
  ['{where}: match.{key} must be a string or a list of strings', '{where}: match.{key} muss ein Text oder eine Liste von Texten sein.'],
  ['{where}: match.consent: granted, denied, unknown', '{where}: match.consent: granted, denied, unknown.'],
  ['{where}: match.direction: in, out, internal, unknown', '{where}: match.direction: in, out, internal, unknown.'],
  ['{where}: unknown field "{key}"', '{where}: unbekanntes Feld „{key}“.'],
  ['policy name {name}: 1-64 letters, digits, space . _ -', 'Name der Richtlinie {name}: 1–64 Buchstaben, Ziffern, Leerzeichen . _ -'],
  ['a policy cannot be renamed (remove it and add a new one)', 'Eine Richtlinie kann nicht umbenannt werden (entfernen und neu anlegen).'],
  ['no policy "{name}"', 'Keine Richtlinie „{name}“.'],
  ['policy "{name}" was changed since this request was made; nothing was changed — ask again', 'Richtlinie „{name}“ wurde seit diesem Antrag geändert; es wurde nichts geändert – bitte neu beantragen.'],
  ['this change makes no recording due earlier: save it directly, it needs no approval', 'Diese Änderung macht keine Aufnahme früher fällig: direkt speichern, sie braucht keine Freigabe.'],
  ['this change makes {n} recording(s) due earlier than now ({now} of them at once): it takes effect only once a second person approves it, or after a grace period the request states', 'Diese Änderung macht {n} Aufnahme(n) früher fällig ({now} davon sofort): Sie wirkt erst, wenn eine zweite Person sie freigibt, oder nach der im Antrag genannten Schonfrist.'],
  ['a grace period is a whole number of days, at least {n}', 'Eine Schonfrist ist eine ganze Zahl von Tagen, mindestens {n}.'],
  // data subjects' rights (src/privacy)
  ['no request {id}', 'Keine Anfrage {id}.'],
  ['only request keys are sealed here', 'Hier werden nur Schlüssel von Anfragen versiegelt.'],
  ['give a number or a customer id', 'Bitte eine Rufnummer oder eine Kundennummer angeben.'],
  ['the number is not a phone number', 'Die Rufnummer ist keine Telefonnummer.'],
  ['customerId must be 1–{n} characters', 'Die Kundennummer hat 1–{n} Zeichen.'],
  ['kind must be one of {values}', 'Art ist eine von {values}.'],
  ['receivedAt is in the future', 'Der Eingang liegt in der Zukunft.'],
  ['{what} is required', '{what} ist nötig.'],
  ['{what} is not a time', '{what} ist keine Zeitangabe.'],
  ['{what} is longer than {n} characters', '{what} ist länger als {n} Zeichen.'],
  ['{what} is a whole number of at least 0', '{what} ist eine ganze Zahl ab 0.'],
  ['request {id} is {state}; {doing} needs it {states}', 'Anfrage {id} ist im Stand {state}; {doing} braucht den Stand {states}.'],
  ['request {id} is {state}; a package needs the identity verified first (tresor request verify {id2} --method M)', 'Anfrage {id} ist im Stand {state}; ein Auskunftspaket braucht zuerst die bestätigte Identität (tresor request verify {id2} --method M).'],
  ['request {id} is {state}; erasure needs it identity-verified or in-progress', 'Anfrage {id} ist im Stand {state}; eine Löschung braucht die bestätigte Identität oder den Stand „in Bearbeitung“.'],
  ['request {id} is a {kind} request, not an access request', 'Anfrage {id} ist eine Anfrage der Art {kind}, keine Auskunft.'],
  ['request {id} is a {kind} request, not erasure', 'Anfrage {id} ist eine Anfrage der Art {kind}, keine Löschung.'],
  ['request {id} is already extended by {n} month(s)', 'Die Frist von Anfrage {id} ist bereits um {n} Monat(e) verlängert.'],
  ['an extension is 1 or {n} further months (Art. 12(3))', 'Eine Verlängerung beträgt 1 oder {n} weitere Monate (Art. 12 Abs. 3).'],
  ['the subject must be told of an extension within the first month (by {at}, Art. 12(3))', 'Die Person muss innerhalb des ersten Monats über die Verlängerung informiert werden (bis {at}, Art. 12 Abs. 3).'],
  ['the date the subject was told is required (Art. 12(3))', 'Das Datum, an dem die Person informiert wurde, ist nötig (Art. 12 Abs. 3).'],
  ['the notice is dated before the request was received', 'Die Mitteilung ist vor dem Eingang der Anfrage datiert.'],
  ['the notice date is in the future', 'Das Datum der Mitteilung liegt in der Zukunft.'],
  ['outcome is answered or refused', 'Ergebnis ist answered oder refused.'],
  ['the package of request {id} is released already', 'Das Auskunftspaket zu Anfrage {id} ist bereits freigegeben.'],
  ['the package of request {id} is not released yet', 'Das Auskunftspaket zu Anfrage {id} ist noch nicht freigegeben.'],
  ['call {id} is excluded already', 'Gespräch {id} ist bereits ausgenommen.'],
  ['{id} is not one of this subject\'s calls', '{id} ist kein Gespräch dieser Person.'],
  ['reason must be one of {values} (Art. 15(4))', 'Der Grund ist einer von {values} (Art. 15 Abs. 4).'],
  ['erasure needs an approved {kind} request', 'Eine Löschung braucht einen freigegebenen Antrag ({kind}).'],
  ['this erasure covers {n} calls, more than privacy.maxErasureCalls ({max}): check the identifiers, then confirm with --confirm-mass (API: "confirmMass": true)', 'Diese Löschung umfasst {n} Gespräche, mehr als privacy.maxErasureCalls ({max}): Bitte die Kennungen prüfen und dann als Massenlöschung bestätigen.'],
  ['the erasure now covers {n} calls, more than {max}, and was not confirmed as a mass erasure', 'Die Löschung umfasst jetzt {n} Gespräche, mehr als {max}, und wurde nicht als Massenlöschung bestätigt.'],
  ['no erasure certificate for request {id} (not erased yet?)', 'Keine Löschbescheinigung zu Anfrage {id} (noch nicht gelöscht?).'],
  ['scope must be one of {values}', 'Der Umfang ist einer von {values}.'],
  ['no objection {id}', 'Kein Widerspruch {id}.'],
  ['objection {id} was removed already', 'Widerspruch {id} wurde bereits entfernt.'],
  ['reason must be one of {values} (Art. 18(1))', 'Der Grund ist einer von {values} (Art. 18 Abs. 1).'],
  ['recording {id} is not restricted', 'Aufnahme {id} ist nicht eingeschränkt.'],
  ['recording {id} is restricted ({reason}) already', 'Aufnahme {id} ist bereits eingeschränkt ({reason}).'],
  ['notifiedAt: when the subject was told (Art. 18(3))', 'Bitte angeben, wann die Person informiert wurde (Art. 18 Abs. 3).'],
  ['field must be one of {values}', 'Das Feld ist eines von {values}.'],
  ['statement is longer than 2000 characters', 'Die ergänzende Erklärung ist länger als 2000 Zeichen.'],
  ['note is longer than 2000 characters', 'Die Notiz ist länger als 2000 Zeichen.'],
  ['{field}: not a valid value', '{field}: kein gültiger Wert.'],
  ['give a case reference (1–{n} printable characters)', 'Bitte ein Aktenzeichen angeben (1–{n} druckbare Zeichen).'],
  // breaches (Art. 33/34)
  ['no breach {id}', 'Keine Datenpanne {id}.'],
  ['breach {id} is closed', 'Datenpanne {id} ist abgeschlossen.'],
  ['breach {id} has no risk assessment yet', 'Datenpanne {id} hat noch keine Risikobewertung.'],
  ['breach {id} is a high risk: record the notice to the data subjects first (Art. 34(1))', 'Datenpanne {id} hat ein hohes Risiko: Bitte zuerst die Benachrichtigung der Betroffenen erfassen (Art. 34 Abs. 1).'],
  ['breach {id} is assessed as "{risk}": record the notice to the authority first (Art. 33(1))', 'Datenpanne {id} ist als „{risk}“ bewertet: Bitte zuerst die Meldung an die Aufsichtsbehörde erfassen (Art. 33 Abs. 1).'],
  ['noticedAt (when the breach became known) is required', 'Bitte angeben, wann die Datenpanne bekannt wurde.'],
  ['noticedAt is in the future', 'Der Zeitpunkt der Kenntnis liegt in der Zukunft.'],
  ['the period ends before it starts', 'Der Zeitraum endet, bevor er beginnt.'],
  ['risk must be one of {values}', 'Das Risiko ist eines von {values}.'],
  ['to is authority or subjects', 'Empfänger ist authority oder subjects.'],
  ['at is the time the notice was sent (not in the future)', 'Der Zeitpunkt ist der Versand der Meldung (nicht in der Zukunft).'],
  ['the notice came after 72 hours: give the reasons for the delay (Art. 33(1))', 'Die Meldung kam nach mehr als 72 Stunden: Bitte die Gründe für die Verzögerung angeben (Art. 33 Abs. 1).'],
  ['the notice is dated before the breach became known', 'Die Meldung ist vor der Kenntnis der Datenpanne datiert.'],
  // restriction and objections from the console (src/web/routes/recording-rights.ts, objections.ts)
  ['notified: the day the subject was told is required (Art. 18(3))', 'Bitte den Tag angeben, an dem die Person informiert wurde (Art. 18 Abs. 3).'],
  ['notifiedAt is in the future: the subject is told before the restriction is lifted (Art. 18(3))', 'Das Datum der Mitteilung liegt in der Zukunft: Die Person wird informiert, bevor die Einschränkung aufgehoben wird (Art. 18 Abs. 3).'],
  ['objection {id} was removed', 'Widerspruch {id} wurde entfernt.'],
  // speech findings and consent (src/speech/review.ts, src/consent)
  ['{actor} may not review speech findings (needs speech.review: dpo or supervisor)', '{actor} darf Sprachhinweise nicht prüfen (dafür nötig: speech.review – DSB oder Supervisor).'],
  ['no finding {id}', 'Kein Sprachhinweis {id}.'],
  ['recording {id} has no speech finding {finding}', 'Aufnahme {id} hat keinen Sprachhinweis {finding}.'],
  ['finding {id} was {state} already (by {by})', 'Über Sprachhinweis {id} wurde bereits entschieden ({state} von {by}).'],
  ['finding {id} was decided meanwhile', 'Über Sprachhinweis {id} wurde inzwischen entschieden.'],
  ['recording {id} went away', 'Aufnahme {id} ist inzwischen gelöscht.'],
  ['only a confirmed objection finding opens an objection request', 'Nur ein bestätigter Widerspruch im Gespräch eröffnet eine Widerspruchsanfrage.'],
  ['this call has no caller number to open the request for: open it on the privacy page', 'Dieses Gespräch hat keine Rufnummer des Anrufers: Bitte die Anfrage auf der Datenschutzseite erfassen.'],
  ['speech review is not wired on this server', 'Die Prüfung von Sprachhinweisen ist auf diesem Server nicht eingerichtet.'],
  ['consent event: {errors}', 'Einwilligungsereignis: {errors}'],
  // search fields and the extension directory (src/access, src/ingest/directory.ts)
  ['agent: type a part of a name (letters or digits)', 'Agent: Bitte einen Teil eines Namens eingeben (Buchstaben oder Ziffern).'],
  ['customerId: 1 to 256 characters', 'Kundennummer: 1 bis 256 Zeichen.'],
  ['extension: 1 to {n} digits, as the PBX writes it (e.g. 201)', 'Nebenstelle: 1 bis {n} Ziffern, wie die TK-Anlage sie schreibt (z. B. 201).'],
  ['name: 1 to {n} characters', 'Name: 1 bis {n} Zeichen.'],
  // files in the inbox and in quarantine (src/ingest): what the dashboard and quarantine page show
  ['the file is empty (0 bytes): the PBX wrote nothing', 'Die Datei ist leer (0 Byte): Die TK-Anlage hat nichts geschrieben.'],
  ['the file is empty (0 bytes)', 'Die Datei ist leer (0 Byte).'],
  ['not a regular file (symlink, FIFO or device): never followed or opened', 'Keine normale Datei (symbolischer Link, FIFO oder Gerät): nie gefolgt oder geöffnet.'],
  ['file was replaced while being opened', 'Die Datei wurde beim Öffnen ausgetauscht.'],
  ['file is {mib} MiB, over the {cap} MiB cap (ingest.maxFileMiB); left in the inbox', 'Die Datei ist {mib} MiB groß, über der Grenze von {cap} MiB (ingest.maxFileMiB); sie bleibt im Eingang.'],
  ['file grew to {mib} MiB, over the cap', 'Die Datei ist auf {mib} MiB gewachsen, über die Grenze.'],
  ['the file changed while it was being read ({how}); is the PBX still writing it? Left in the inbox', 'Die Datei hat sich beim Lesen geändert ({how}); schreibt die TK-Anlage noch? Sie bleibt im Eingang.'],
  ['the data disk is nearly full: {free} MiB free, this file needs ~{need} MiB plus the {reserve} MiB reserve (ingest.minFreeMiB); source left in the inbox', 'Der Datenträger ist fast voll: {free} MiB frei, diese Datei braucht etwa {need} MiB plus {reserve} MiB Reserve (ingest.minFreeMiB); die Quelle bleibt im Eingang.'],
  ['the data disk is nearly full: {free} MiB free, {what} needs ~{need} MiB {rest}', 'Der Datenträger ist fast voll: {free} MiB frei, {what} braucht etwa {need} MiB {rest}'],
  ['no quarantined file {id}', 'Keine Datei {id} in Quarantäne.'],
  ['quarantined file {id} is being worked on right now; try again in a moment', 'Die Datei {id} in Quarantäne wird gerade bearbeitet; bitte gleich noch einmal versuchen.'],
  // forms and bodies that are not what the server expects (a script, or an old page)
  ['send a JSON body (Content-Type: application/json)', 'Bitte einen JSON-Inhalt senden (Content-Type: application/json).'],
  ['the body must be a JSON object', 'Der Inhalt muss ein JSON-Objekt sein.'],
  ['sign in first: send Authorization: Bearer <token>', 'Bitte zuerst anmelden: Authorization: Bearer <Token> senden.'],
  ['approval kind {kind} is not dotted lowercase', 'Die Antragsart {kind} ist nicht in Kleinbuchstaben mit Punkten.'],
  ['an approval needs a target', 'Ein Freigabeantrag braucht ein Ziel.'],
  ['an approval needs a requester', 'Ein Freigabeantrag braucht eine antragstellende Person.'],
  ['a policy is an object {name, match, keep, lock}', 'Eine Richtlinie ist ein Objekt {name, match, keep, lock}.'],
  ['number must be a string', 'Die Rufnummer muss ein Text sein.'],
  ['customerId must be a string', 'Die Kundennummer muss ein Text sein.'],
  ['sidecar metadata is invalid: {errors}', 'Die Anrufdaten (Sidecar) sind ungültig: {errors}'],
  ['sidecar is {n} bytes; the limit is {max}', 'Die Sidecar-Datei hat {n} Byte; die Grenze ist {max}.'],
  ['the WAV header promises more audio than the file holds: the PBX stopped mid-write. {rest}', 'Der WAV-Kopf verspricht mehr Audio, als die Datei enthält: Die TK-Anlage hat mitten im Schreiben aufgehört. {rest}'],
  ['ffmpeg could not decode the recording ({how}): {last}', 'ffmpeg konnte die Aufnahme nicht dekodieren ({how}): {last}'],
  ['no audio stream could be read: {last}', 'Es ließ sich keine Tonspur lesen: {last}'],
  ['no decodable audio in the {format} file ({why})', 'Kein dekodierbares Audio in der {format}-Datei ({why}).'],
  ['demuxer "{name}" is not on the allow-list', 'Das Containerformat „{name}“ ist nicht zugelassen.'],
  ['retry needs ffmpeg, which this console was started without', 'Ein erneuter Versuch braucht ffmpeg, ohne das diese Konsole gestartet wurde.'],
  ['{what}: all {slots} slot(s) are in use and {queue} request(s) wait already; try again in {s} s', '{what}: Alle {slots} Plätze sind belegt und {queue} Anfrage(n) warten schon; bitte in {s} s erneut versuchen.'],
  ['{what}: the disk is full ({code}); source left in the inbox', '{what}: Der Datenträger ist voll ({code}); die Quelle bleibt im Eingang.'],
  ['{what}: the disk is full ({code})', '{what}: Der Datenträger ist voll ({code}).'],
];

interface Compiled { re: RegExp; de: string }

const escape = (s: string) => s.replace(/[.*+?^$()|[\]\\]/g, '\\$&');

/** `the {x} is` → /^the (?<x>[\s\S]*?) is$/: a placeholder matches any text, shortest first. */
function compile(en: string, de: string): Compiled {
  let src = '';
  let last = 0;
  for (const m of en.matchAll(/\{(\w+)\}/g)) {
    src += escape(en.slice(last, m.index)).replace(/[{}]/g, '\\$&') + `(?<${m[1]}>[\\s\\S]*?)`;
    last = m.index! + m[0].length;
  }
  src += escape(en.slice(last)).replace(/[{}]/g, '\\$&');
  return { re: new RegExp(`^${src}$`), de };
}

const COMPILED = MESSAGES.map(([en, de]) => compile(en, de));

/** The catalog, for the i18n test (placeholders alike in both languages). */
export const messageCatalog = MESSAGES;

/** The German words for a message, or null when there are none (it stays English). */
export function germanMessage(message: string): string | null {
  for (const c of COMPILED) {
    const m = c.re.exec(message);
    if (m) return fill(c.de, m.groups ?? {});
  }
  return null;
}

/** A server message in the reader's language, where the catalog has it. */
export function messageIn(lang: Lang, message: string): { text: string; lang: Lang } {
  if (lang === 'en') return { text: message, lang: 'en' };
  const de = germanMessage(message);
  return de === null ? { text: message, lang: 'en' } : { text: de, lang: 'de' };
}
