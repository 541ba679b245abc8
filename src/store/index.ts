export { openIndex, isLmdbCommitEcho, type IndexStore } from './store.ts';
export * from './recordings.ts';
export { compactIndex } from './compact.ts';
export { enableWriterWaitNotices } from './writer-wait.ts';
