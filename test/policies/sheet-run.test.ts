/**
 * `{{sheet.attempt}}` counts within a mode and repeats; `{{sheet.run}}` counts every run of a
 * sheet and never repeats: across normal and completion mode and retries (real subprocesses,
 * real files, real clock; nothing asserts on timing), across rate-limited runs and fallbacks,
 * and across a restart from the checkpoint (virtual time).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Conductor, defineScore, MemoryStore, VirtualClock, type AttemptOutcome } from '../../src/index.js';
import { QUICK_BACKOFF, startConductor } from '../integration/helpers.js';
import { buildScore } from '../support/build-score.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { fail, ok, runToEnd, SimInstrument, stepUntil } from '../support/virtual-run.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

describe('{{sheet.attempt}} and {{sheet.run}}', () => {
  it('normal 1, completion 1, completion 2, normal 2: the attempt repeats, the run does not', async () => {
    const dir = makeTempDir('baton-sheet-run-');
    dirs.push(dir);
    const { conductor } = startConductor();
    // One of two validations always passes: every attempt is a partial success.
    const score = defineScore({
      version: 1,
      name: 'runs',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF, retries: 1, completion_attempts: 2 },
      sheets: [
        {
          id: 'fix',
          instrument: 'sh',
          args: ['echo "$1 $2 $3" >> "$BATON_WORKSPACE/runs"; touch "$BATON_WORKSPACE/half"', 'sh', '{{sheet.mode}}', '{{sheet.attempt}}', '{{sheet.run}}'],
          validations: [{ file_exists: '{{workspace}}/half' }, { file_exists: '{{workspace}}/never' }],
        },
      ],
    });
    const result = await conductor.waitForCompletion(conductor.register(score));
    await conductor.shutdown();

    expect(result.outcome).toBe('failed');
    expect(readFileSync(join(dir, 'runs'), 'utf8').trim().split('\n')).toEqual([
      'normal 1 1',
      'completion 1 2',
      'completion 2 3',
      'normal 2 4',
    ]);
    // The run number names each run's output files.
    expect(readdirSync(join(dir, 'sheets', 'fix')).filter((f) => f.endsWith('.stdout')).sort()).toEqual(
      ['1.stdout', '2.stdout', '3.stdout', '4.stdout'],
    );
  });

  it('a rate-limited run and a fallback repeat the attempt; the run still counts up', async () => {
    const clock = new VirtualClock();
    const conductor = new Conductor({ clock, random: () => 0.5 });
    let calls = 0;
    const outcomes: AttemptOutcome[] = [{ status: 'failure', error: '429', rateLimitedS: 1 }, fail(), fail()];
    const primary = new SimInstrument('primary', clock, () => ({ durationMs: 10, outcome: outcomes[calls++] ?? ok }));
    const backup = new SimInstrument('backup', clock, () => ({ durationMs: 10, outcome: ok }));
    const score = buildScore({
      instruments: { primary: { fallback: ['backup'] }, backup: {} },
      stages: [{ id: 'a', instrument: 'primary', retries: 1 }],
    });
    const requests: Array<[string, number, number]> = [];
    const record = (instrument: SimInstrument) => {
      const run = instrument.run.bind(instrument);
      instrument.run = (request, signal, hooks) => {
        requests.push([instrument.name, request.attempt, request.run]);
        return run(request, signal, hooks);
      };
    };
    record(primary);
    record(backup);
    const jobId = conductor.register(score, { instruments: { primary, backup } });
    expect((await runToEnd(conductor, clock, jobId)).outcome).toBe('completed');
    expect(requests).toEqual([
      ['primary', 1, 1],
      ['primary', 1, 2],
      ['primary', 2, 3],
      ['backup', 1, 4],
    ]);
  });

  it('keeps counting after a restart from the checkpoint', async () => {
    const store = new MemoryStore();
    const score = buildScore({ stages: [{ id: 'a', retries: 3, backoff: { initialMs: 1_000, factor: 1 } }] });
    const first = new VirtualClock();
    const failing = new SimInstrument('fn', first, () => ({ durationMs: 10, outcome: fail() }));
    const before = new Conductor({ clock: first, random: () => 0.5 });
    const jobId = before.register(score, { instruments: { fn: failing }, store });
    // Two failed runs, then the conductor stops while the sheet waits for its retry.
    await stepUntil(first, () => failing.starts.length === 2 && before.status(jobId).sheets[0]!.state === 'retry');
    await before.shutdown();

    const clock = new VirtualClock(first.now());
    const runs: number[] = [];
    const fn = new SimInstrument('fn', clock, (request) => {
      runs.push(request.run);
      return { durationMs: 10, outcome: ok };
    });
    const after = new Conductor({ clock, random: () => 0.5 });
    after.restore(score, { instruments: { fn }, store: store.connect() });
    expect((await runToEnd(after, clock, jobId)).outcome).toBe('completed');
    expect(runs).toEqual([3]);
    await after.shutdown();
  });
});
