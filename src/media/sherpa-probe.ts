// A sherpa-onnx model is loaded first in a child process (issue 12, item 5): onnxruntime
// aborts the whole process (std::terminate on an Ort::Exception, seen with a bundle whose
// .onnx files are not networks) instead of throwing, so a bad imported bundle must never
// be loaded first inside the service. Spawned here because only media starts processes.
import { runCommand } from './run.ts';

const SCRIPT = `const [addon, cfg] = process.argv.slice(1);
const s = require(addon);
new s.KeywordSpotter(JSON.parse(cfg));
process.stdout.write('ok');`;

/** Resolves when `new KeywordSpotter(config)` of the addon at `addonPath` succeeds in a child node; rejects with why not. */
export async function probeSherpaKws(addonPath: string, config: Record<string, unknown>, timeoutMs = 60_000): Promise<void> {
  const out = await runCommand(process.execPath, ['-e', SCRIPT, addonPath, JSON.stringify(config)], { timeoutMs });
  if (out.trim() !== 'ok') throw new Error('the sherpa-onnx probe gave no answer');
}
