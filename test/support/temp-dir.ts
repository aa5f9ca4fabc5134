/**
 * Temporary folders for tests that touch the file system. Each test suite names its own
 * prefix, so that a folder left behind by a crashed run says where it came from.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder (symlinks resolved, so paths compare equal to what baton reports). */
export function makeTempDir(prefix = 'baton-test-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

/** Removes a folder made by `makeTempDir` and all in it; a folder already gone is fine. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
