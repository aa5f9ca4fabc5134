/**
 * The live display fed by a real conductor in virtual time: the frames it writes are
 * read back through the terminal emulator of test/support.
 */
import { describe, expect, it } from 'vitest';
import { showProgress } from '../../src/cli/progress.js';
import { Conductor, VirtualClock, type AttemptOutcome } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { finalScreen } from '../support/terminal-screen.js';
import { stepUntil, SimInstrument } from '../support/virtual-run.js';
import { waitFor } from '../support/wait-for.js';

/** A sheet whose first attempt runs a minute and fails; its retry runs a minute and succeeds. */
function flakyRun() {
  const clock = new VirtualClock();
  const conductor = new Conductor({ clock });
  let runs = 0;
  const x = new SimInstrument('x', clock, () => {
    const outcome: AttemptOutcome = ++runs === 1 ? { status: 'failure', error: 'flaky', exitCode: 1 } : { status: 'success' };
    return { durationMs: 60_000, outcome };
  });
  let text = '';
  const out = { columns: 200, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  let jobId = '';
  const shown = showProgress({ conductor, jobId: () => jobId, out, live: true });
  const score = buildScore({ instruments: { x: {} }, stages: [{ id: 'flaky', retries: 1, backoff: { initialMs: 1_000, jitter: 0 } }, { id: 'next', deps: ['flaky'] }] });
  jobId = conductor.register(score, { instruments: { x } });
  return { clock, conductor, shown, jobId: () => jobId, runs: () => runs, text: () => text };
}

describe('the live display', () => {
  it('times a retried sheet from the start of its current attempt', async () => {
    const run = flakyRun();
    await stepUntil(run.clock, () => run.runs() === 2);
    const flaky = run.conductor.status(run.jobId()).sheets[0]!;
    expect(flaky).toMatchObject({ attempts: 2, state: 'running' });
    // No virtual time passes while the display redraws: the current attempt has just begun.
    const line = await waitFor(() => run.text().match(/▸ flaky \(attempt 2, [^)]*\)/)?.[0], { pollMs: 20 });
    expect(line).toBe('▸ flaky (attempt 2, 0.0s)');
    await run.conductor.shutdown();
    await run.shown.finished;
  });

  it('drops a failure line once its sheet has completed since', async () => {
    const run = flakyRun();
    await stepUntil(run.clock, () => run.runs() === 2);
    await waitFor(() => (run.text().includes('! flaky attempt 1 failed') ? true : undefined), { pollMs: 20 });
    await stepUntil(run.clock, () => run.conductor.status(run.jobId()).counts.completed === 2);
    await run.conductor.shutdown();
    await run.shown.finished;
    const screen = finalScreen(run.text());
    expect(screen.filter((l) => l !== '')).toEqual([expect.stringMatching(/^\S+ {2}\d+\.\ds {2}completed 2$/)]);
  });
});
