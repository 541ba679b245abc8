export { seal, open, openRange, openRangeChunks, plainLength, sealedLength, DEFAULT_CHUNK } from './envelope.ts';
export { openKeyring, keySource, type Keyring, type KeySource, type WrappedDek } from './keyring.ts';
