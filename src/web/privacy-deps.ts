import type { PrivacyDeps } from '../privacy/index.ts';
import type { AppDeps } from './app.ts';

/** What the privacy routes (console, API, breach register) hand the workbench: tokens and sealing, never key bytes. */
export function privacyDepsOf(deps: AppDeps): PrivacyDeps {
  return {
    store: deps.site.store, log: deps.site.log, phone: deps.config.phone, dataDir: deps.config.dataDir,
    keys: { tokenize: deps.tokens.tokenize, sealSecret: deps.secrets.sealSecret, openSecret: deps.secrets.openSecret, ...(deps.secrets.sealFor ? { sealFor: deps.secrets.sealFor } : {}) },
  };
}
