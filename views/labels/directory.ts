import { defineLabels } from '../i18n.ts';

/** Labels of /admin/extensions: the extension directory (issue 15, item 4). */
const en = {
  title: 'Extensions',
  intro: 'Which agent sits at which extension. FreePBX file names give only the extension; a new call of an extension listed here is stored with the agent\'s name, so supervisors can search for it. Names are kept encrypted and never written to the access log. Calls already stored keep the name they had.',
  colExtension: 'Extension',
  colName: 'Agent',
  colSource: 'Set in',
  colChanged: 'Changed',
  sourceConsole: 'console',
  sourceConfig: 'settings file (directory.extensions)',
  none: 'No extensions yet.',
  addTitle: 'Add or change an extension',
  extension: 'Extension (as the PBX writes it, e.g. 201)',
  name: 'Agent name',
  save: 'Save',
  remove: 'Remove',
  configNote: 'change it in the settings file',
  'done.saved': 'Saved. New calls of this extension get this name.',
  'done.removed': 'Removed. New calls of this extension get no name from the directory.',
};

const de: Record<keyof typeof en, string> = {
  title: 'Nebenstellen',
  intro: 'Welcher Agent an welcher Nebenstelle sitzt. FreePBX-Dateinamen nennen nur die Nebenstelle; ein neuer Anruf einer hier eingetragenen Nebenstelle wird mit dem Namen des Agenten gespeichert, damit Supervisoren danach suchen können. Namen werden verschlüsselt gespeichert und nie ins Zugriffsprotokoll geschrieben. Bereits gespeicherte Anrufe behalten ihren Namen.',
  colExtension: 'Nebenstelle',
  colName: 'Agent',
  colSource: 'Eingetragen in',
  colChanged: 'Geändert',
  sourceConsole: 'Konsole',
  sourceConfig: 'Einstellungsdatei (directory.extensions)',
  none: 'Noch keine Nebenstellen.',
  addTitle: 'Nebenstelle eintragen oder ändern',
  extension: 'Nebenstelle (wie die Telefonanlage sie schreibt, z. B. 201)',
  name: 'Name des Agenten',
  save: 'Speichern',
  remove: 'Entfernen',
  configNote: 'in der Einstellungsdatei ändern',
  'done.saved': 'Gespeichert. Neue Anrufe dieser Nebenstelle erhalten diesen Namen.',
  'done.removed': 'Entfernt. Neue Anrufe dieser Nebenstelle erhalten keinen Namen aus dem Verzeichnis.',
};

export const directoryLabels = defineLabels('directory', { en, de });
export type DirectoryLabel = keyof typeof en;
export const directoryLabel = directoryLabels.get;
