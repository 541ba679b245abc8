export { openIndex, isLmdbCommitEcho, type IndexStore } from './store.ts';
export * from './recordings.ts';
export { KeysTable, type WrappedDek } from './keys.ts';
export { SegmentsTable, type SegmentRow } from './segments.ts';
export { InflightTable, type InflightRow } from './inflight.ts';
export { QuarantineTable, type QuarantineRow, type QuarantinedCall } from './quarantine.ts';
export { compactIndex } from './compact.ts';
export { enableWriterWaitNotices } from './writer-wait.ts';
