import { TresorError } from '../core/errors.ts';
import { parseDateBound } from '../core/dates.ts';
import { liftRestriction, rectifyRecording, RECTIFIABLE_FIELDS, restrictRecording, RESTRICTION_KINDS } from '../privacy/index.ts';
import { withSite } from './with-site.ts';
import { parse, type Command } from './args.ts';

/** `tresor recording restrict|unrestrict` (GDPR Art. 18; issue 11 #6), as `cli:<os user>`. */
const USAGE = `usage: tresor recording restrict ID --reason ${RESTRICTION_KINDS.join('|')} [--request ID]
       tresor recording unrestrict ID --notified DATE [--request ID]
       tresor recording rectify ID --field ${RECTIFIABLE_FIELDS.join('|')} --value V [--statement S] [--request ID]`;

export const recordingCmd: Command = async (args, { config, actor, io }) => {
  const [sub, ...rest] = args;
  const { values, positionals } = parse(rest, { reason: { type: 'string' }, request: { type: 'string' }, notified: { type: 'string' }, field: { type: 'string' }, value: { type: 'string' }, statement: { type: 'string' } });
  if (positionals.length !== 1) throw new TresorError('E_USAGE', USAGE);
  const id = positionals[0]!;
  if (sub === 'restrict') {
    if (!values.reason) throw new TresorError('E_USAGE', `recording restrict: give --reason\n${USAGE}`);
    return withSite(config, async (site) => {
      const marks = await restrictRecording({ store: site.store, log: site.log, keys: site.keys, phone: config.phone }, actor, id, { reason: values.reason!, requestId: values.request });
      io.out(`recording ${id} restricted (${marks.join(', ')})`);
      return 0;
    });
  }
  if (sub === 'unrestrict') {
    if (!values.notified) throw new TresorError('E_USAGE', `recording unrestrict: give --notified DATE (when the subject was told, Art. 18(3))\n${USAGE}`);
    const notifiedAt = parseDateBound(values.notified, 'start', '--notified');
    return withSite(config, async (site) => {
      await liftRestriction({ store: site.store, log: site.log, keys: site.keys, phone: config.phone }, actor, id, { notifiedAt, requestId: values.request });
      io.out(`recording ${id}: restriction lifted`);
      return 0;
    });
  }
  if (sub === 'rectify') {
    if (!values.field || values.value === undefined) throw new TresorError('E_USAGE', `recording rectify: give --field and --value\n${USAGE}`);
    return withSite(config, async (site) => {
      await rectifyRecording({ store: site.store, log: site.log, keys: site.keys, phone: config.phone }, actor, id, {
        field: values.field!, value: values.value!, statement: values.statement, requestId: values.request,
      });
      io.out(`recording ${id}: ${values.field} rectified`);
      return 0;
    });
  }
  throw new TresorError('E_USAGE', USAGE);
};
