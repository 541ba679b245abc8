import { defineLabels, type Lang } from '../i18n.ts';

/** Labels of the page of a set-password link (/password/set). */
const SET_PASSWORD = {
  en: {
    title: 'Choose your password',
    intro: 'An administrator set up this link for {name}. Choose your own password; nobody else learns it. The link works once.',
    invalid: 'This link is not valid any more (used, replaced by a newer one, or expired). Ask an administrator for a new one. If you did not use it yourself, tell them: someone else may have.',
    password: 'New password',
    again: 'New password again',
    hint: 'At least 12 characters.',
    submit: 'Set password',
    mismatch: 'The two passwords differ.',
  },
  de: {
    title: 'Eigenes Passwort wählen',
    intro: 'Ein Administrator hat diesen Link für {name} angelegt. Wählen Sie Ihr eigenes Passwort; niemand sonst erfährt es. Der Link funktioniert einmal.',
    invalid: 'Dieser Link gilt nicht mehr (benutzt, durch einen neueren ersetzt oder abgelaufen). Bitten Sie einen Administrator um einen neuen. Haben Sie ihn nicht selbst benutzt, sagen Sie es ihm: dann hat es jemand anderes getan.',
    password: 'Neues Passwort',
    again: 'Neues Passwort wiederholen',
    hint: 'Mindestens 12 Zeichen.',
    submit: 'Passwort setzen',
    mismatch: 'Die beiden Passwörter unterscheiden sich.',
  },
} as const;

export const setPasswordLabels = defineLabels('set-password', SET_PASSWORD);

export type SetPasswordLabel = keyof (typeof SET_PASSWORD)['en'];

export const setPasswordLabel = (lang: Lang, k: SetPasswordLabel) => setPasswordLabels.get(lang, k);
