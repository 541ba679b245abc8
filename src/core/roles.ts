// The role names (DESIGN §6), here so that the store's user rows can name them; what each
// role may do is auth's business (src/auth/roles.ts).
export const ROLES = ['admin', 'supervisor', 'dpo', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
