/**
 * README.md, "Embedding" (and the code names of "See inside"): every class, function and
 * method they name exists where they say, and the in-code score with an inline function runs
 * in virtual time. The snippet between the embedding markers runs in
 * test/package/tarball.test.ts; the event list is checked by test/package/readme-events.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as baton from '../../src/index.js';
import * as testing from '../../src/testing/index.js';
import { Conductor, defineScore, VirtualClock, type SheetFunctionContext } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { settle } from '../support/virtual-run.js';
import { flat, readmeSection } from './readme.js';

const embedding = flat(readmeSection('Embedding'));
const seeInside = flat(readmeSection('See inside'));
const policies = flat(readmeSection('Policies'));

describe('README "Embedding": the names it gives', () => {
  it("the main entry exports every class, function and machine the README names, the test helpers only from 'baton-runtime/testing'", () => {
    const main = [
      'Conductor', 'SqliteStore', 'MemoryStore', 'loadScore', 'defineScore', 'VirtualClock', 'planDispatch', 'sheetMachine',
      'conductorMachine', 'UnknownDecisionError', 'BudgetSpentError', 'dispatchBatches', 'streamBatches', 'attachMetrics',
      'PrometheusRecorder', 'inspectionStream', 'createCommandInstrument',
    ];
    const text = `${embedding} ${seeInside} ${policies} ${flat(readmeSection('How it is built'))}`;
    for (const name of main) {
      expect(text, name).toMatch(new RegExp(`\\b${name}\\b`));
      expect((baton as Record<string, unknown>)[name], name).toBeDefined();
    }
    for (const name of ['createSheetTestModel', 'createConductorSheetDriver']) {
      expect(seeInside).toContain(`\`${name}`);
      expect(typeof (testing as Record<string, unknown>)[name], name).toBe('function');
      expect(name in baton, `${name} in the main entry`).toBe(false);
    }
  });

  it('a conductor has register, restore, pause, resume, cancel, decide, status, setBudget, waitForCompletion, shutdown, events$ and rateLimits', async () => {
    for (const call of ['register(score, { instruments })', 'register(score, { store })', 'restore(score, { store })', 'pause(jobId)', 'resume(jobId)', 'cancel(jobId)', 'status(jobId)']) {
      expect(embedding, call).toContain(`\`${call}\``);
    }
    expect(policies).toContain('`conductor.setBudget()`');
    expect(policies).toContain("`resume(jobId, 'budget')`");
    expect(policies).toContain('`conductor.rateLimits` reports, queries, lists, clears and prunes them');
    const conductor = new Conductor({ clock: new VirtualClock() });
    for (const method of ['register', 'restore', 'pause', 'resume', 'cancel', 'decide', 'status', 'setBudget', 'waitForCompletion', 'shutdown']) {
      expect(typeof (conductor as unknown as Record<string, unknown>)[method], method).toBe('function');
    }
    expect(typeof conductor.events$.subscribe).toBe('function');
    // reports, queries, lists, clears and prunes
    for (const method of ['report', 'isRateLimited', 'activeLimits', 'clear', 'prune'] as const) expect(typeof conductor.rateLimits[method], method).toBe('function');
    await conductor.shutdown();
  });
});

describe('README "Embedding": a score in code, in virtual time', () => {
  it('defineScore takes the file\'s snake_case shape with an inline `run: async (ctx) => ({ ok: true })`, and clock.runNext() fires a backoff instantly', async () => {
    expect(embedding).toContain('`defineScore({...})` builds a score in code, in the same snake_case shape as the file; a function instrument can be given inline as `run: async (ctx) => ({ ok: true })`');
    expect(embedding).toContain('`new Conductor({ clock: new VirtualClock() })` runs everything in virtual time: `clock.runNext()` fires the next timer (backoff, timeout) instantly');
    const workspace = makeTempDir('baton-readme-embedding-');
    try {
      const seen: string[] = [];
      const score = defineScore({
        version: 1,
        name: 'in-code',
        workspace,
        defaults: { retries: 1, backoff: { initial: '1h', factor: 2, max: '2h', jitter: 0 } },
        instruments: {
          fn: {
            kind: 'function',
            run: async (ctx: SheetFunctionContext) => {
              seen.push(`${ctx.sheet.id}#${ctx.sheet.attempt}`);
              return ctx.sheet.id === 'a' && ctx.sheet.attempt === 1 ? { ok: false, error: 'first try' } : { ok: true };
            },
          },
        },
        sheets: [{ id: 'a' }, { id: 'b', depends_on: ['a'], fan_out: 2 }],
      });
      const clock = new VirtualClock();
      const conductor = new Conductor({ clock });
      const jobId = conductor.register(score);
      let ended = false;
      const result = conductor.waitForCompletion(jobId).finally(() => (ended = true));
      const fired: number[] = [];
      for (let step = 0; !ended; step++) {
        if (step === 10_000) throw new Error(`the job did not end; timers fired at ${fired.join(', ')}`);
        await settle();
        if (!ended && clock.runNext()) fired.push(clock.now());
      }
      expect((await result).outcome).toBe('completed');
      expect(seen).toEqual(['a#1', 'a#2', 'b.1#1', 'b.2#1']);
      expect(fired).toContain(3_600_000);
      await conductor.shutdown();
    } finally {
      removeDir(workspace);
    }
  });
});
