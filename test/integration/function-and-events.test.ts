/**
 * Integration: a function instrument loaded by `loadScore` from a real module file, run by
 * the real Conductor; and the event bus seen during a real run with a retry.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineScore, loadScore, type BatonEvent, type Conductor } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
import { waitFor } from '../support/wait-for.js';
import { byId, flushEvents, QUICK_BACKOFF, startConductor } from './helpers.js';

let dir: string;
let conductor: Conductor;
let events: BatonEvent[];

beforeEach(() => {
  dir = makeTempDir('baton-it-');
  ({ conductor, events } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  removeDir(dir);
});

/** The module the score's function instruments load: it records what it was given. */
const TASKS = `
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Records its context (minus the signal) and returns an output built from it. */
export default async function task(ctx) {
  const seen = {
    sheet: ctx.sheet,
    workspace: ctx.workspace,
    vars: ctx.vars,
    deps: JSON.parse(JSON.stringify(ctx.deps)),
    depIds: Object.keys(ctx.deps).sort(),
    signal: { isAbortSignal: ctx.signal instanceof AbortSignal, aborted: ctx.signal.aborted },
  };
  await new Promise((resolve) => setTimeout(resolve, 5));
  mkdirSync(join(ctx.workspace, 'calls'), { recursive: true });
  writeFileSync(join(ctx.workspace, 'calls', ctx.sheet.id + '.json'), JSON.stringify(seen));
  return { ok: true, output: { by: ctx.sheet.id, greeting: ctx.vars.greeting } };
}

/** Never finishes by itself; notes the abort (and its reason), then claims success too late. */
export function waitForAbort(ctx) {
  return new Promise((resolve) => {
    ctx.signal.addEventListener(
      'abort',
      () => {
        mkdirSync(ctx.workspace, { recursive: true });
        writeFileSync(join(ctx.workspace, 'aborted-' + ctx.sheet.attempt), String(ctx.signal.reason));
        resolve({ ok: true, output: 'too late' });
      },
      { once: true },
    );
  });
}
`;

function writeScore(yaml: string): string {
  writeFileSync(join(dir, 'tasks.mjs'), TASKS);
  const file = join(dir, 'score.yaml');
  writeFileSync(file, yaml);
  return file;
}

interface Seen {
  sheet: { id: string; attempt: number; run: number; mode: string; fan: { index: number; count: number }; failedValidations: string[] };
  workspace: string;
  vars: Record<string, string>;
  deps: Record<string, { output?: unknown; output_file?: string }>;
  depIds: string[];
  signal: { isAbortSignal: boolean; aborted: boolean };
}

const seen = (sheetId: string): Seen =>
  JSON.parse(readFileSync(join(dir, 'ws', 'calls', `${sheetId}.json`), 'utf8')) as Seen;

describe('integration: function instrument from a module file', () => {
  it('gets ctx.sheet, fan, vars and the outputs of its dependencies', async () => {
    const file = writeScore(`
version: 1
name: fn-it
workspace: ./ws
instruments:
  js: { kind: function, module: ./tasks.mjs }
defaults:
  vars: { greeting: hello }
sheets:
  - id: first
  - id: fan
    depends_on: [first]
    fan_out: 2
    vars: { greeting: hi, n: 3 }
  - id: last
    depends_on: [fan]
`);
    const score = await loadScore(file);
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(result.sheets.map((s) => [s.id, s.state])).toEqual([
      ['first', 'completed'],
      ['fan.1', 'completed'],
      ['fan.2', 'completed'],
      ['last', 'completed'],
    ]);
    const workspace = join(dir, 'ws');

    const first = seen('first');
    expect(first).toEqual({
      sheet: { id: 'first', attempt: 1, run: 1, mode: 'normal', fan: { index: 1, count: 1 }, failedValidations: [] },
      workspace,
      vars: { greeting: 'hello' },
      deps: {},
      depIds: [],
      signal: { isAbortSignal: true, aborted: false },
    });

    for (const index of [1, 2]) {
      const member = seen(`fan.${index}`);
      expect(member.sheet).toEqual({
        id: `fan.${index}`,
        attempt: 1,
        run: 1,
        mode: 'normal',
        fan: { index, count: 2 },
        failedValidations: [],
      });
      expect(member.vars).toEqual({ greeting: 'hi', n: '3' });
      expect(member.depIds).toEqual(['first']);
      expect(member.deps).toEqual({ first: { output: { by: 'first', greeting: 'hello' } } });
    }

    const last = seen('last');
    expect(last.depIds).toEqual(['fan.1', 'fan.2']);
    expect(last.deps).toEqual({
      'fan.1': { output: { by: 'fan.1', greeting: 'hi' } },
      'fan.2': { output: { by: 'fan.2', greeting: 'hi' } },
    });
    expect(last.vars).toEqual({ greeting: 'hello' });
  });

  it('aborts its signal on timeout (reason "timeout"), and a result after the abort does not count', async () => {
    const file = writeScore(`
version: 1
name: fn-timeout
workspace: ./ws
instruments:
  waiter: { kind: function, module: ./tasks.mjs, export: waitForAbort }
sheets:
  - id: hang
    timeout: 300ms
    retries: 1
    backoff: { initial: 10ms, factor: 1, max: 10ms, jitter: 0 }
`);
    const score = await loadScore(file);
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('failed');
    expect(result.sheets[0]).toMatchObject({ id: 'hang', state: 'failed', reason: 'timeout', attempts: 2 });
    // The function's own listener ran for each attempt and saw the runtime's reason.
    const aborted = (attempt: number) => join(dir, 'ws', `aborted-${attempt}`);
    await waitFor(() => (existsSync(aborted(1)) && existsSync(aborted(2)) ? true : undefined));
    expect(readFileSync(aborted(1), 'utf8')).toBe('timeout');
    expect(readFileSync(aborted(2), 'utf8')).toBe('timeout');
    expect(existsSync(aborted(3))).toBe(false);
  });
});

describe('integration: events of a real run', () => {
  it('reports a 2-sheet chain with one retry in order', async () => {
    const score = defineScore({
      version: 1,
      name: 'events',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF, retries: 2 },
      sheets: [
        // Fails on its first run only.
        { id: 'a', args: ['echo run >> {{workspace}}/a.runs; [ $(wc -l < {{workspace}}/a.runs) -ge 2 ]'] },
        { id: 'b', depends_on: ['a'], args: ['echo b'] },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    expect(result.outcome).toBe('completed');
    await flushEvents();

    const mine = events.filter((e) => 'jobId' in e && e.jobId === id);
    expect(mine.map((e) => [e.type, 'sheetId' in e ? e.sheetId : '-'])).toEqual([
      ['job.started', '-'],
      ['sheet.dispatched', 'a'],
      ['sheet.running', 'a'],
      ['attempt.ended', 'a'],
      ['sheet.retry', 'a'],
      ['sheet.dispatched', 'a'],
      ['sheet.running', 'a'],
      ['attempt.ended', 'a'],
      ['sheet.completed', 'a'],
      ['sheet.dispatched', 'b'],
      ['sheet.running', 'b'],
      ['attempt.ended', 'b'],
      ['sheet.completed', 'b'],
      ['job.completed', '-'],
    ]);
    const attemptsOf = (type: BatonEvent['type']) =>
      mine.filter((e) => e.type === type).map((e) => ('attempt' in e ? e.attempt : 'attempts' in e ? e.attempts : undefined));
    expect(attemptsOf('sheet.dispatched')).toEqual([1, 2, 1]);
    expect(attemptsOf('sheet.running')).toEqual([1, 2, 1]);
    expect(attemptsOf('sheet.completed')).toEqual([2, 1]);
    expect(mine.find((e) => e.type === 'sheet.retry')).toMatchObject({
      attempt: 1,
      reason: 'failed',
      error: 'exited with status 1',
      mode: 'normal',
    });
    expect(mine.find((e) => e.type === 'job.started')).toMatchObject({ name: 'events', sheets: 2 });
    expect(byId(result.sheets).a).toMatchObject({ state: 'completed', attempts: 2 });
    // Timestamps come from the conductor's clock and never go backwards.
    const at = mine.map((e) => e.at);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
  });
});
