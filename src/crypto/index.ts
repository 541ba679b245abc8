// What crypto offers the rest of Tresor (DESIGN §2): operations, never key bytes. The
// envelope functions that take a DEK stay inside (envelope.ts); outside, only lengths.
export { plainLength, sealedLength, DEFAULT_CHUNK } from './envelope.ts';
export {
  openKeyring, SEALED_PREFIX,
  type Keyring, type Tokenizer, type WrappedKeys, type EnvelopeOpener, type EnvelopeSealer,
} from './keyring.ts';
export { keySource, type KeySource } from './key-files.ts';
export {
  rotateKek, credentialsRotationHelp, ROTATE_FAULT_POINTS,
  type KekRotationHost, type KekRotationReport, type RotateFaultPoint,
} from './kek-rotation.ts';
export type { NoteSigner } from './signing.ts';
export { BOX_MAGIC, parseRecipientKey, sealToRecipient } from './recipient-box.ts';
