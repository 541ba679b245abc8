import type { Config } from '../config/index.ts';
import type { IndexStore } from '../index/index.ts';

/** What every CLI command gets; built once in src/cli/main.ts. */
export interface CliContext {
  config: Config;
  /** opened lazily: `status` on a fresh box must not create an archive */
  openStore(): IndexStore;
  /** `cli:<os user>`, the actor of every log entry the command writes */
  actor: string;
  out(line: string): void;
  err(line: string): void;
}
