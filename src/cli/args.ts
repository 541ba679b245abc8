import { parseArgs } from 'node:util';
import type { Config, ConfigSource } from '../config/index.ts';
import { TresorError } from '../core/errors.ts';

/**
 * What every command file shares: the argument parser and the command signature. Its own
 * file so that the command files do not import main.ts, which imports them (a cycle).
 */
export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export type Command = (args: string[], ctx: { config: Config; source: ConfigSource; actor: string; io: Io }) => Promise<number>;

export function parse<T extends Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new TresorError('E_USAGE', (e as Error).message);
  }
}
