export { loadConfig } from './load.ts';
export { defaultConfig, type Config, type Disposition, type StoreFormat } from './schema.ts';
