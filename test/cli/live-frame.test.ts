import { describe, expect, it } from 'vitest';
import { liveFrame, type FrameInput } from '../../src/cli/live-frame.js';
import { SHEET_STATES, type SheetState } from '../../src/machines/types.js';
import type { JobStatus, SheetStatus } from '../../src/runtime/status.js';

function sheet(id: string, state: SheetState, more: Partial<SheetStatus> = {}): SheetStatus {
  return { id, state, attempts: 1, rateLimited: 0, interrupted: 0, instrument: 'sh', costUsd: 0, ...more };
}

function jobOf(sheets: SheetStatus[]): JobStatus {
  const counts = Object.fromEntries(SHEET_STATES.map((s) => [s, 0])) as Record<SheetState, number>;
  for (const s of sheets) counts[s.state]++;
  return { jobId: 'j', name: 'job', state: 'running', pauseReasons: [], counts, inFlight: 0, costUsd: 0, startedAt: 0, durationMs: 0, sheets };
}

function frame(sheets: SheetStatus[], more: Partial<FrameInput> = {}): string[] {
  return liveFrame({ status: jobOf(sheets), elapsedMs: 1000, attemptStartedAt: new Map(), failures: [], columns: 200, ...more });
}

describe('a frame of the live display', () => {
  it('counts every state, dispatched included, so that the counts add up to the sheets', () => {
    const [header] = frame([sheet('a', 'dispatched'), sheet('b', 'dispatched'), sheet('c', 'running'), sheet('d', 'pending'), sheet('e', 'completed')]);
    expect(header).toBe('job  1.0s  pending 1 · dispatched 2 · running 1 · completed 1');
    const total = [...header!.matchAll(/ (\d+)(?: ·|$)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(total).toBe(5);
  });

  it('times a retried sheet from its current attempt, not from its first', () => {
    // First dispatched at 0, now at 10 000 (durationMs), attempt 2 dispatched at 8 000.
    const retried = sheet('flaky', 'running', { attempts: 2, startedAt: 0, durationMs: 10_000 });
    const lines = frame([retried], { attemptStartedAt: new Map([['flaky', 8_000]]) });
    expect(lines).toContain('  ▸ flaky (attempt 2, 2.0s)');
  });

  it('times a first attempt from its dispatch', () => {
    const first = sheet('a', 'dispatched', { startedAt: 500, durationMs: 1_500 });
    expect(frame([first], { attemptStartedAt: new Map([['a', 500]]) })).toContain('  ▸ a (attempt 1, 1.5s)');
  });

  it('shows the failures it is given below the running sheets', () => {
    const lines = frame([sheet('a', 'running', { durationMs: 0 })], { failures: [{ sheetId: 'b', line: 'b failed (exit 1)' }] });
    expect(lines.slice(1)).toEqual(['  ▸ a (attempt 1, 0.0s)', '  ! b failed (exit 1)']);
  });

  it('cuts a line wider than the terminal', () => {
    const [header] = frame([sheet('a', 'pending')], { columns: 10 });
    expect(header).toBe('job  1.0s…');
  });
});
