export { openArchive, listSegmentFiles, type Archive, type RecordLocation, type ArchiveOptions } from './segments.ts';
export { recoverSegments, type RecoveryReport } from './recover.ts';
export { decodeRecord, SEGMENT_HEADER_BYTES, recordLength } from './record.ts';
export { scanSegmentFile, segmentMagic, type SegmentScan, type ScannedRecord } from './scan.ts';
