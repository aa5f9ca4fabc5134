import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttemptHooks, AttemptRequest } from '../../src/index.js';

/** A fresh temporary folder per test; removed by the returned cleanup. */
export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-actors-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function makeRequest(dir: string, overrides: Partial<AttemptRequest> = {}): AttemptRequest {
  return {
    jobId: 'job-1',
    sheetId: 'sheet-1',
    attempt: 1,
    mode: 'normal',
    fan: { index: 1, count: 1 },
    workspace: join(dir, 'workspace'),
    vars: {},
    deps: {},
    args: [],
    outputPrefix: join(dir, 'output', 'sheet-1', 'attempt-1'),
    ...overrides,
  };
}

/** Hooks that count how often `onStarted` was called. */
export function countingHooks(): AttemptHooks & { started: number } {
  const hooks = {
    started: 0,
    onStarted() {
      hooks.started++;
    },
  };
  return hooks;
}

/** Polls `check` until it returns a value other than undefined (the test timeout bounds it). */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
