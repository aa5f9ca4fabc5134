import { describe, expect, it } from 'vitest';
import { showProgress } from '../../src/cli/progress.js';
import { Conductor, VirtualClock, type AttemptOutcome } from '../../src/index.js';
import { buildScore } from '../support/build-score.js';
import { stepUntil, SimInstrument } from '../support/virtual-run.js';
import { waitFor } from '../support/wait-for.js';

describe('the live progress block', () => {
  it('shows a running sheet\'s attempts and its rate-limited runs apart, as status does', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock });
    let runs = 0;
    const x = new SimInstrument('x', clock, () => {
      const outcome: AttemptOutcome = ++runs === 1 ? { status: 'failure', error: '429', rateLimitedS: 5 } : { status: 'success' };
      return { durationMs: runs === 1 ? 10 : 60_000, outcome };
    });
    let text = '';
    const out = { columns: 200, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
    let jobId = '';
    const shown = showProgress({ conductor, jobId: () => jobId, out, live: true });
    jobId = conductor.register(buildScore({ instruments: { x: {} }, stages: [{ id: 'once' }] }), { instruments: { x } });
    await stepUntil(clock, () => runs === 2 && conductor.status(jobId).sheets[0]!.state === 'running');
    expect(conductor.status(jobId).sheets[0]).toMatchObject({ attempts: 1, rateLimited: 1 });
    await waitFor(() => (text.includes('▸ once') ? true : undefined), { pollMs: 20 });
    expect(text).toMatch(/▸ once \(attempt 1, rate-limited 1, /);
    await conductor.shutdown();
    await shown.finished;
  });
});
