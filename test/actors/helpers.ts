import { join } from 'node:path';
import type { AttemptHooks, AttemptRequest } from '../../src/index.js';

export function makeRequest(dir: string, overrides: Partial<AttemptRequest> = {}): AttemptRequest {
  return {
    jobId: 'job-1',
    sheetId: 'sheet-1',
    attempt: 1,
    run: 1,
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
