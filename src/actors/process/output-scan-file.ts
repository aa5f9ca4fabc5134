import type { FileHandle } from 'node:fs/promises';
import { findingsOf, scannedStreams, StreamScanner, type OutputFindings, type OutputScanRules, type StructuredFindings, type StructuredOutputRules } from './output-scan.js';
import { readTailOf } from './output-tail.js';
import { readStructuredOutput, STRUCTURED_OUTPUT_MAX_BYTES } from './structured-output.js';

const READ_BYTES = 64 * 1024;

/**
 * Scans the attempt's output files, opened for reading, from their first byte to their last
 * by `rules`, one buffer of {@link READ_BYTES} at a time. A stream the rules do not ask for is
 * not read; an unreadable file scans as what was read of it. The rules' `output` reads only
 * the end of stdout (at most {@link STRUCTURED_OUTPUT_MAX_BYTES}).
 */
export async function scanOutputFiles(
  handles: { stdout: FileHandle; stderr: FileHandle },
  rules: OutputScanRules | undefined,
): Promise<OutputFindings> {
  if (rules === undefined) return {};
  const [scanners, structured] = await Promise.all([
    Promise.all(
      scannedStreams(rules).map(async (stream) => {
        const scanner = new StreamScanner(rules, stream);
        await feed(handles[stream], scanner);
        return scanner;
      }),
    ),
    rules.output === undefined ? undefined : readStructured(handles.stdout, rules.output, rules),
  ]);
  const findings = findingsOf(rules, scanners);
  if (structured !== undefined) findings.structured = structured;
  return findings;
}

/** The JSON result at the end of stdout; an unreadable file reads as an empty one. */
async function readStructured(handle: FileHandle, output: StructuredOutputRules, rules: OutputScanRules): Promise<StructuredFindings> {
  const size = await handle.stat().then(
    (stat) => stat.size,
    () => 0,
  );
  const text = await readTailOf(handle, STRUCTURED_OUTPUT_MAX_BYTES);
  return readStructuredOutput(text, size <= STRUCTURED_OUTPUT_MAX_BYTES, output, rules.rateLimit);
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
