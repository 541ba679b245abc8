export * from './errors.ts';
export * from './ids.ts';
export * from './clock.ts';
export * from './types.ts';
export * from './durable.ts';
export * from './dates.ts';
export * from './proc.ts';
export * from './phone.ts';
