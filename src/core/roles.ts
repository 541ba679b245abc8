// The role names (DESIGN §6), here so that the store's user rows can name them; what each
// role may do is auth's business (src/auth/roles.ts).
// `integration` (issue 12): the PBX/IVR/CRM's API token; it reports consent events, nothing else
export const ROLES = ['admin', 'supervisor', 'dpo', 'auditor', 'integration'] as const;
export type Role = (typeof ROLES)[number];
