/**
 * Integration: command instruments under the real Conductor (real clock, real subprocesses):
 * exit status and retries, dependency failure policies, captured output and
 * `{{deps.ID.output_file}}`, a missing binary, the attempt's environment, and concurrency caps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineScore, type BatonEvent, type Conductor } from '../../src/index.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';
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

const read = (...parts: string[]): string => readFileSync(join(dir, ...parts), 'utf8');
const lines = (...parts: string[]): string[] => read(...parts).split('\n').filter((l) => l !== '');

describe('integration: exit status, retries and dependency failure', () => {
  it('a non-zero exit fails after 1 + retries runs, with the status in lastError; dependents are skipped or failed', async () => {
    const score = defineScore({
      version: 1,
      name: 'nonzero',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF },
      sheets: [
        { id: 'bad', retries: 2, args: ['echo run >> {{workspace}}/bad.runs; echo "it broke" >&2; exit 3'] },
        { id: 'child', depends_on: ['bad'], args: ['echo ran >> {{workspace}}/child.runs'] },
        { id: 'grandchild', depends_on: ['child'], args: ['echo ran >> {{workspace}}/grandchild.runs'] },
        {
          id: 'strict',
          depends_on: ['bad'],
          on_dependency_failure: 'fail',
          args: ['echo ran >> {{workspace}}/strict.runs'],
        },
        { id: 'independent', args: ['echo ok'] },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('failed');
    expect(lines('bad.runs')).toEqual(['run', 'run', 'run']);
    const sheets = byId(result.sheets);
    expect(sheets.bad).toMatchObject({ state: 'failed', reason: 'failed', attempts: 3 });
    expect(sheets.bad!.lastError).toBe('exited with status 3: it broke');
    expect(sheets.child).toMatchObject({ state: 'skipped', reason: 'dependency', attempts: 0 });
    expect(sheets.grandchild).toMatchObject({ state: 'skipped', reason: 'dependency', attempts: 0 });
    expect(sheets.strict).toMatchObject({ state: 'failed', reason: 'dependency', attempts: 0 });
    expect(sheets.independent).toMatchObject({ state: 'completed', attempts: 1 });
    for (const never of ['child', 'grandchild', 'strict']) expect(existsSync(join(dir, `${never}.runs`))).toBe(false);
    expect(result.counts).toMatchObject({ completed: 1, failed: 2, skipped: 2 });

    await flushEvents();
    const retries = events.filter((e) => e.type === 'sheet.retry' && e.sheetId === 'bad');
    expect(retries.map((e) => (e.type === 'sheet.retry' ? [e.attempt, e.reason] : []))).toEqual([
      [1, 'failed'],
      [2, 'failed'],
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'job.failed', failed: 2, skipped: 2 });
  });

  it('a program that succeeds on a retry completes the sheet and releases its dependents', async () => {
    const score = defineScore({
      version: 1,
      name: 'flaky',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF },
      sheets: [
        // Fails on the first two runs, succeeds on the third.
        { id: 'flaky', retries: 3, args: ['echo run >> {{workspace}}/runs; [ $(wc -l < {{workspace}}/runs) -ge 3 ]'] },
        { id: 'next', depends_on: ['flaky'], args: ['echo next > {{workspace}}/next.txt'] },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(lines('runs')).toHaveLength(3);
    expect(byId(result.sheets).flaky).toMatchObject({ state: 'completed', attempts: 3 });
    expect(byId(result.sheets).flaky!.lastError).toBeUndefined();
    expect(read('next.txt')).toBe('next\n');
  });
});

describe('integration: captured output', () => {
  it('captures each attempt to <workspace>/sheets/<id>/<n>.stdout|.stderr and hands the successful one to dependents', async () => {
    const score = defineScore({
      version: 1,
      name: 'output',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF },
      sheets: [
        {
          id: 'produce',
          retries: 1,
          // Attempt 1 writes its output then fails; attempt 2 succeeds.
          args: ['echo "out of attempt {{sheet.attempt}}"; echo "err of attempt {{sheet.attempt}}" >&2; [ {{sheet.attempt}} -ge 2 ]'],
        },
        {
          id: 'consume',
          depends_on: ['produce'],
          args: ['echo "path={{deps.produce.output_file}}"; echo "content=$(cat "{{deps.produce.output_file}}")"'],
        },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(read('sheets', 'produce', '1.stdout')).toBe('out of attempt 1\n');
    expect(read('sheets', 'produce', '1.stderr')).toBe('err of attempt 1\n');
    expect(read('sheets', 'produce', '2.stdout')).toBe('out of attempt 2\n');
    expect(read('sheets', 'produce', '2.stderr')).toBe('err of attempt 2\n');
    expect(existsSync(join(dir, 'sheets', 'produce', '3.stdout'))).toBe(false);
    // The dependent got the stdout of the successful attempt, not of the failed one.
    expect(lines('sheets', 'consume', '1.stdout')).toEqual([
      `path=${join(dir, 'sheets', 'produce', '2.stdout')}`,
      'content=out of attempt 2',
    ]);
    expect(read('sheets', 'consume', '1.stderr')).toBe('');
  });
});

describe('integration: missing binary', () => {
  it('fails with reason unavailable and a message naming the program, at once: its retries could not start it either', async () => {
    const score = defineScore({
      version: 1,
      name: 'missing',
      workspace: dir,
      instruments: { tool: { kind: 'command', command: ['/nonexistent/tool'] } },
      defaults: { backoff: QUICK_BACKOFF },
      sheets: [
        { id: 'a', retries: 2, args: ['--flag'] },
        { id: 'b', depends_on: ['a'], args: ['x'] },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('failed');
    const sheets = byId(result.sheets);
    expect(sheets.a).toMatchObject({ state: 'failed', reason: 'unavailable', attempts: 1 });
    expect(sheets.a!.lastError).toContain('/nonexistent/tool');
    expect(sheets.a!.lastError).toMatch(/not found/);
    expect(sheets.b).toMatchObject({ state: 'skipped', reason: 'dependency', attempts: 0 });

    // Let any runaway loop show itself before counting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await flushEvents();
    expect(events.filter((e) => e.type === 'sheet.dispatched').map((e) => e.sheetId)).toEqual(['a']);
    // Never started, so never running.
    expect(events.filter((e) => e.type === 'sheet.running')).toEqual([]);
    expect(conductor.status(id).sheets[0]!.attempts).toBe(1);
  });
});

describe('integration: environment', () => {
  it('passes BATON_* (attempt counting up across retries) and instrument env, but not baton\'s own environment', async () => {
    const secretBefore = process.env.BATON_IT_SECRET;
    process.env.BATON_IT_SECRET = 'hunter2';
    try {
      const script =
        'process.stdout.write(JSON.stringify(process.env)); process.exitCode = process.env.BATON_ATTEMPT === "3" ? 0 : 1;';
      const score = defineScore({
        version: 1,
        name: 'environment',
        workspace: dir,
        instruments: {
          node: { kind: 'command', command: [process.execPath, '-e', script], env: { IT_EXTRA: 'from-instrument', IT_NUM: 7 } },
        },
        defaults: { backoff: QUICK_BACKOFF },
        sheets: [{ id: 'env.check', retries: 2 }],
      });
      const id = conductor.register(score);
      const result = await conductor.waitForCompletion(id);

      expect(result.outcome).toBe('completed');
      expect(result.sheets[0]).toMatchObject({ state: 'completed', attempts: 3 });
      for (const attempt of [1, 2, 3]) {
        const env = JSON.parse(read('sheets', 'env.check', `${attempt}.stdout`)) as Record<string, string>;
        expect(env).toMatchObject({
          BATON_SHEET_ID: 'env.check',
          BATON_ATTEMPT: String(attempt),
          BATON_MODE: 'normal',
          BATON_WORKSPACE: dir,
          IT_EXTRA: 'from-instrument',
          IT_NUM: '7',
        });
        expect(env.BATON_IT_SECRET).toBeUndefined();
        expect(env.PATH).toBe(process.env.PATH);
      }
    } finally {
      if (secretBefore === undefined) delete process.env.BATON_IT_SECRET;
      else process.env.BATON_IT_SECRET = secretBefore;
    }
  });
});

describe('integration: concurrency', () => {
  it('runs at most `concurrency` real processes of an instrument at once', async () => {
    // Each program marks itself live, counts the live ones, sleeps, then unmarks itself. A slot
    // is released only after the process exited, so a correct cap can never show more than 2.
    const program =
      'mkdir -p {{workspace}}/live; touch {{workspace}}/live/{{sheet.id}}; ' +
      'ls {{workspace}}/live | wc -l >> {{workspace}}/counts; sleep 0.3; rm {{workspace}}/live/{{sheet.id}}';
    const score = defineScore({
      version: 1,
      name: 'caps',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'], concurrency: 2 } },
      sheets: [{ id: 'fan', fan_out: 6, retries: 0, args: [program] }],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(result.counts.completed).toBe(6);
    const counts = lines('counts').map(Number);
    expect(counts).toHaveLength(6);
    expect(Math.max(...counts)).toBeLessThanOrEqual(2);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);

    await flushEvents();
    // The same cap, seen from the event bus: never more than 2 dispatched-but-not-ended.
    let inFlight = 0;
    let peak = 0;
    for (const event of events) {
      if (event.type === 'sheet.dispatched') peak = Math.max(peak, ++inFlight);
      if (event.type === 'sheet.completed' || event.type === 'sheet.failed') inFlight--;
    }
    expect(peak).toBeLessThanOrEqual(2);
    expect(peak).toBeGreaterThanOrEqual(1);
  });

  it('shares an instrument cap between jobs of the same conductor', async () => {
    // Two jobs, two workspaces, one instrument name: their processes count against one cap.
    const live = join(dir, 'live');
    const counts = join(dir, 'counts');
    const program =
      `mkdir -p ${live}; touch ${live}/{{vars.job}}-{{sheet.id}}; ` +
      `ls ${live} | wc -l >> ${counts}; sleep 0.3; rm ${live}/{{vars.job}}-{{sheet.id}}`;
    const jobOf = (name: string) =>
      defineScore({
        version: 1,
        name,
        workspace: join(dir, name),
        instruments: { sh: { kind: 'command', command: ['bash', '-c'], concurrency: 2 } },
        defaults: { vars: { job: name } },
        sheets: [{ id: 'fan', fan_out: 3, retries: 0, args: [program] }],
      });
    const ids = [conductor.register(jobOf('one')), conductor.register(jobOf('two'))];
    const results = await Promise.all(ids.map((id) => conductor.waitForCompletion(id)));

    expect(results.map((r) => r.outcome)).toEqual(['completed', 'completed']);
    const seen = lines('counts').map(Number);
    expect(seen).toHaveLength(6);
    expect(Math.max(...seen)).toBeLessThanOrEqual(2);
    expect(Math.min(...seen)).toBeGreaterThanOrEqual(1);
  });
});
