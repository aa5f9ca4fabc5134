/**
 * `output:` on real processes (real clock, real subprocesses), started through a spawner
 * helper and from baton's own process alike: the JSON result's cost spends a budget, its
 * `failed` fails an attempt that exited 0, its message is a rate limit with its retry-after,
 * output without a result fails cleanly, and a result after 100 MB of transcript is read.
 * Waits are read from the coordinator's record of each limit, never measured.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandInstrument, defineScore, type BatonEvent, type Conductor, type ScoreInput, type SpawnerMode } from '../../src/index.js';
import { byId, flushEvents, QUICK_BACKOFF, startConductor } from '../integration/helpers.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

let dir: string;
let conductor: Conductor;
let events: BatonEvent[];

beforeEach(() => {
  dir = makeTempDir('baton-structured-');
  ({ conductor, events } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  removeDir(dir);
});

type CommandInput = Extract<ScoreInput['instruments'][string], { kind: 'command' }>;

/** Claude-like result fields. */
const AGENT_OUTPUT: NonNullable<CommandInput['output']> = { cost: 'total_cost_usd', failed: 'is_error', message: 'result', retry_after: 'retry_after_s' };

function agentScore(sheets: ScoreInput['sheets'], over: Partial<CommandInput> = {}, job: Partial<ScoreInput> = {}) {
  return defineScore({
    version: 1,
    name: 'structured',
    workspace: dir,
    instruments: { sh: { kind: 'command', command: ['bash', '-c'], output: AGENT_OUTPUT, ...over } },
    defaults: { backoff: QUICK_BACKOFF, retries: 0 },
    ...job,
    sheets,
  });
}

/** A shell command that prints `value` as JSON (one line) and exits `code`. */
const prints = (value: unknown, code = 0) => `printf '%s\\n' '${JSON.stringify(value)}'; exit ${code}`;

const runs = (sheetId: string): number => readFileSync(join(dir, `${sheetId}.runs`), 'utf8').split('\n').filter(Boolean).length;
const counted = (command: string) => `echo run >> "$BATON_WORKSPACE/$BATON_SHEET_ID.runs"; ${command}`;

describe.each<SpawnerMode>(['helper', 'inline'])('output: the JSON result of a real process (spawner: %s)', (spawner) => {
  const sh = () => createCommandInstrument({ name: 'sh', command: ['bash', '-c'], spawner });

  it("output.cost spends the job's budget: the job pauses and nothing new starts", async () => {
    const score = agentScore(
      [
        { id: 'plan', args: [prints({ type: 'result', is_error: false, total_cost_usd: 0.6, result: 'planned' })] },
        { id: 'next', depends_on: ['plan'], args: ['echo next'] },
      ],
      {},
      { budget_usd: 0.5, concurrency: 1 },
    );
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('paused');
    expect(result.pauseReasons).toEqual(['budget']);
    expect(result.costUsd).toBeCloseTo(0.6, 10);
    expect(byId(result.sheets)).toMatchObject({ plan: { state: 'completed' }, next: { state: 'ready' } });
  });

  it('failed: true fails an attempt that exited 0, with the message as its error; false does not save a non-zero exit', async () => {
    const score = agentScore([
      { id: 'said-failed', args: [prints({ is_error: true, result: 'the patch did not apply', total_cost_usd: 0.01 })] },
      { id: 'said-fine', args: [prints({ is_error: false, result: 'all good, but crashed' }, 3)] },
      { id: 'fine', args: [prints({ is_error: false, result: 'done' })] },
    ]);
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    const sheets = byId(result.sheets);
    expect(sheets['said-failed']).toMatchObject({
      state: 'failed',
      reason: 'failed',
      attempts: 1,
      lastError: 'exited 0 but reported a failure (is_error is true): the patch did not apply',
    });
    expect(sheets['said-failed']!.costUsd).toBeCloseTo(0.01, 10);
    expect(sheets['said-fine']).toMatchObject({ state: 'failed', reason: 'failed', lastError: 'exited with status 3: all good, but crashed' });
    expect(sheets.fine).toMatchObject({ state: 'completed' });
    await flushEvents();
    expect(events).toContainEqual(expect.objectContaining({ type: 'attempt.ended', sheetId: 'said-failed', outcome: 'failure', reason: 'failed' }));
  });

  it('a message matching rate_limit.patterns on exit 0 is a rate limit, waiting its retry_after, without using an attempt', async () => {
    const limited = { is_error: true, result: 'API Error: rate limit exceeded', retry_after_s: 0.3, total_cost_usd: 0 };
    const firstRunLimited = `if [ ! -e "$BATON_WORKSPACE/seen" ]; then touch "$BATON_WORKSPACE/seen"; ${prints(limited)}; fi; ${prints({ is_error: false, result: 'ok' })}`;
    const score = agentScore([{ id: 'agent', args: [counted(firstRunLimited)] }], {
      rate_limit: { patterns: ['rate.?limit'], default_wait: '1h', max_wait: '1h', min_wait: '10ms' },
    });
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(byId(result.sheets).agent).toMatchObject({ state: 'completed', attempts: 1, rateLimited: 1 });
    expect(runs('agent')).toBe(2);
    const limits = conductor.rateLimits.history().flatMap((change) => (change.type === 'active' ? [change.limit] : []));
    expect(limits.map((l) => [l.instrument, l.until - l.reportedAt])).toEqual([['sh', 300]]);
  });

  it('output without a JSON result, or with a field of the wrong type, fails the attempt with the reason, and is retried', async () => {
    const score = agentScore(
      [
        { id: 'text', args: [counted('echo "I am done, no JSON today"')] },
        { id: 'typed', args: [prints({ is_error: 'no', result: 'done' })] },
      ],
      {},
      { defaults: { backoff: QUICK_BACKOFF, retries: 1 } },
    );
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    const sheets = byId(result.sheets);
    expect(sheets.text).toMatchObject({ state: 'failed', reason: 'failed', attempts: 2 });
    expect(sheets.text!.lastError).toMatch(/^output: no JSON object at the end of stdout/);
    expect(runs('text')).toBe(2);
    expect(sheets.typed).toMatchObject({ state: 'failed', lastError: 'output: is_error (output.failed) is "no", not a boolean' });
  });

  it('jsonl: the last line that parses counts, not the partial line after it', async () => {
    const lines = [{ type: 'init', total_cost_usd: 0 }, { type: 'result', total_cost_usd: 0.2, is_error: false }]
      .map((line) => `printf '%s\\n' '${JSON.stringify(line)}'`)
      .join('; ');
    const score = agentScore([{ id: 'stream', args: [`${lines}; printf '{"type":"ev'`] }], { output: { ...AGENT_OUTPUT, format: 'jsonl' } });
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).stream).toMatchObject({ state: 'completed' });
    expect(byId(result.sheets).stream!.costUsd).toBeCloseTo(0.2, 10);
  });

  it('a result after 100 MB of transcript is read: its cost counts and its failure fails', async () => {
    const transcript = `yes "assistant: still working on the task, nothing to report yet" | head -c ${100 * 1000 * 1000}`;
    const score = agentScore([
      // The transcript's last line is cut at 100 MB: the result starts on a line of its own.
      { id: 'long', args: [`${transcript}; echo; ${prints({ is_error: true, result: 'gave up', total_cost_usd: 0.75 })}`] },
    ]);
    const id = conductor.register(score, { instruments: { sh: sh() } });
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).long).toMatchObject({ state: 'failed', lastError: 'exited 0 but reported a failure (is_error is true): gave up' });
    expect(byId(result.sheets).long!.costUsd).toBeCloseTo(0.75, 10);
  });
});
