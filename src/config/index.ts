export { loadConfig, loadSettings, describeSource, SYSTEM_CONFIG, type ConfigSource, type LoadOptions } from './load.ts';
export { defaultConfig, type Config, type Disposition, type StoreFormat } from './schema.ts';
export { parseWorkingHours, type AlertsConfig } from './alerts.ts';
