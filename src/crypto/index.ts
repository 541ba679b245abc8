export { seal, open, openRange, openRangeChunks, openStream, plainLength, sealedLength, sealStream, DEFAULT_CHUNK } from './envelope.ts';
export {
  openKeyring, keySource, SEALED_PREFIX, rotateKek, credentialsRotationHelp, ROTATE_FAULT_POINTS,
  type Keyring, type KeySource, type KekRotationHost, type KekRotationReport, type RotateFaultPoint,
} from './keyring.ts';
