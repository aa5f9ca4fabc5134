import type { FileHandle } from 'node:fs/promises';
import { findingsOf, scannedStreams, StreamScanner, type OutputFindings, type OutputScanRules } from './output-scan.js';

const READ_BYTES = 64 * 1024;

/**
 * Scans the attempt's output files, opened for reading, from their first byte to their last
 * by `rules`, one buffer of {@link READ_BYTES} at a time. A stream the rules do not ask for is
 * not read; an unreadable file scans as what was read of it.
 */
export async function scanOutputFiles(
  handles: { stdout: FileHandle; stderr: FileHandle },
  rules: OutputScanRules | undefined,
): Promise<OutputFindings> {
  if (rules === undefined) return {};
  const scanners = await Promise.all(
    scannedStreams(rules).map(async (stream) => {
      const scanner = new StreamScanner(rules, stream);
      await feed(handles[stream], scanner);
      return scanner;
    }),
  );
  return findingsOf(rules, scanners);
}

async function feed(handle: FileHandle, scanner: StreamScanner): Promise<void> {
  const buffer = Buffer.alloc(READ_BYTES);
  let position = 0;
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, READ_BYTES, position);
      if (bytesRead === 0) break;
      scanner.write(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } catch {
    // What could be read is scanned: a scan, like a tail, is never a reason to fail.
  }
  scanner.end();
}
