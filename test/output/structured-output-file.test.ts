/**
 * The JSON result is read from the end of a real stdout file, whatever its size: at most its
 * last 8 MiB are read, counted at the file handle.
 */
import { open, truncate, appendFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scanOutputFiles } from '../../src/actors/process/output-scan-file.js';
import { STRUCTURED_OUTPUT_MAX_BYTES } from '../../src/actors/process/structured-output.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('baton-structured-file-');
});
afterEach(() => removeDir(dir));

/** The handle, with every byte read through it counted. */
function counting(handle: FileHandle): { handle: FileHandle; bytesRead: () => number } {
  let total = 0;
  const read = handle.read.bind(handle) as (buffer: Buffer, offset: number, length: number, position: number) => Promise<{ bytesRead: number; buffer: Buffer }>;
  const wrapped = Object.create(handle) as FileHandle;
  Object.assign(wrapped, {
    read: async (buffer: Buffer, offset: number, length: number, position: number) => {
      const result = await read(buffer, offset, length, position);
      total += result.bytesRead;
      return result;
    },
    stat: () => handle.stat(),
  });
  return { handle: wrapped, bytesRead: () => total };
}

describe('the JSON result at the end of a 100 MB stdout', () => {
  it('is found reading at most the last 8 MiB of the file', async () => {
    const stdout = join(dir, '1.stdout');
    const stderr = join(dir, '1.stderr');
    // 100 MB of output (a sparse file: it takes no disk) and the result after it.
    await appendFile(stdout, '');
    await truncate(stdout, 100 * 1000 * 1000);
    await appendFile(stdout, `\n${JSON.stringify({ is_error: false, total_cost_usd: 1.5, result: 'done' }, null, 2)}\n`);
    await appendFile(stderr, '');
    const [out, err] = await Promise.all([open(stdout, 'r'), open(stderr, 'r')]);
    try {
      const counted = counting(out);
      const findings = await scanOutputFiles(
        { stdout: counted.handle, stderr: err },
        { output: { format: 'json', cost: 'total_cost_usd', failed: 'is_error', message: 'result' } },
      );
      expect(findings).toEqual({ structured: { costUsd: 1.5, failed: false, message: 'done' } });
      expect(counted.bytesRead()).toBeGreaterThan(0);
      expect(counted.bytesRead()).toBeLessThanOrEqual(STRUCTURED_OUTPUT_MAX_BYTES);
    } finally {
      await Promise.all([out.close(), err.close()]);
    }
  });
});
