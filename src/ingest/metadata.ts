// One recording's metadata: what the name says, overridden field by field by its sidecar
// (DESIGN §3: "Sidecar fields override what the filename says").
import type { CallMetadata } from '../core/types.ts';
import { parseRecordingName } from './names.ts';
import { normalizeNumber, type PhoneConfig } from '../core/index.ts';
import { parseSidecar } from './sidecar.ts';
import type { QuarantineInput } from './quarantine.ts';

export function buildMetadata(
  relPath: string,
  mtimeMs: number,
  sidecar: Partial<CallMetadata> | null,
  phone: PhoneConfig,
): CallMetadata {
  const meta = parseRecordingName(relPath, mtimeMs, phone);
  if (!sidecar) return meta;

  if (sidecar.start !== undefined) {
    meta.start = sidecar.start;
    meta.startFromMtime = false;
  }
  for (const key of ['callId', 'agent', 'queue', 'purpose'] as const) {
    const v = sidecar[key];
    if (v !== undefined) meta[key] = key === 'agent' ? v.normalize('NFC') : v;
  }
  if (sidecar.direction !== undefined) meta.direction = sidecar.direction;
  // A sidecar number replaces the name's even when it reads as "no number" (anonymous):
  // the sidecar is the PBX's own, more deliberate statement.
  for (const key of ['from', 'to'] as const) {
    const v = sidecar[key];
    if (v === undefined) continue;
    const n = normalizeNumber(v, phone);
    if (n === undefined) delete meta[key];
    else meta[key] = n;
  }
  if (sidecar.consent !== undefined) meta.consent = { ...sidecar.consent };
  if (sidecar.tags !== undefined) meta.tags = [...sidecar.tags];
  // merged: a name-given field (3CX `callerName`) stays unless the sidecar says otherwise
  if (sidecar.extra !== undefined) meta.extra = { ...meta.extra, ...sidecar.extra };
  return meta;
}

/**
 * Which call a file is, for the quarantine list, from whatever its name and sidecar say
 * (the sidecar fields that did parse, even when others did not). Never throws.
 */
export function describeCall(relPath: string, mtimeMs: number, sidecar: Buffer | null, phone: PhoneConfig): QuarantineInput['call'] {
  try {
    const m = buildMetadata(relPath, mtimeMs, sidecar ? parseSidecar(sidecar).fields : null, phone);
    return {
      plain: {
        start: Number.isFinite(m.start) ? m.start : null, startFromMtime: m.startFromMtime, direction: m.direction,
        queue: m.queue ?? null, nameFormat: m.nameFormat,
      },
      personal: { from: m.from ?? null, to: m.to ?? null, agent: m.agent ?? null, callId: m.callId ?? null },
    };
  } catch {
    return undefined;
  }
}
