/**
 * Validations and completion mode on the real clock, with real files in a temporary
 * workspace and real subprocesses: a partial pass (2 of 3) leads to an attempt in mode
 * `completion` told what failed (env and templates), completion attempts are bounded, a 0 %
 * pass consumes normal attempts, and a sheet without validations completes at once.
 * Nothing here asserts on timing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineScore, type BatonEvent, type Conductor, type SheetFunctionContext } from '../../src/index.js';
import { byId, flushEvents, QUICK_BACKOFF, startConductor } from '../integration/helpers.js';
import { makeTempDir, removeDir } from '../support/temp-dir.js';

let dir: string;
let conductor: Conductor;
let events: BatonEvent[];

beforeEach(() => {
  dir = makeTempDir('baton-validations-');
  ({ conductor, events } = startConductor());
});

afterEach(async () => {
  await conductor.shutdown();
  removeDir(dir);
});

const read = (name: string): string => readFileSync(join(dir, name), 'utf8');

/** Modes of the dispatches of one sheet, from the bus. */
function modes(sheetId: string): string[] {
  return events.filter((e) => e.type === 'sheet.dispatched' && e.sheetId === sheetId).map((e) => (e.type === 'sheet.dispatched' ? e.mode : ''));
}

/** Three validations of files named after the sheet: a.txt exists, b.txt starts with OK, c.txt is not empty. */
const threeChecks = [
  { file_exists: '{{workspace}}/{{sheet.id}}.a.txt' },
  { file_matches: { path: '{{workspace}}/{{sheet.id}}.b.txt', pattern: '^OK' } },
  { command_succeeds: ['test', '-s', '{{workspace}}/{{sheet.id}}.c.txt'] },
];

/**
 * Writes a.txt and c.txt always, and b.txt as `OK` only when `$ok_when` holds; records what
 * the attempt was told: BATON_MODE, BATON_FAILED_VALIDATIONS, and its args
 * ($1 = {{validations.failed}}, $2 = {{sheet.mode}}), one file per dispatch.
 */
function program(okWhen: string): string {
  return [
    'ws="$BATON_WORKSPACE"; id="$BATON_SHEET_ID"',
    'n=$(( $(cat "$ws/$id.n" 2>/dev/null || echo 0) + 1 )); echo $n > "$ws/$id.n"',
    'echo "$BATON_MODE" >> "$ws/$id.modes"',
    'printf "%s" "${BATON_FAILED_VALIDATIONS-<unset>}" > "$ws/$id.$n.env"',
    'printf "%s" "$1" > "$ws/$id.$n.arg-failed"',
    'printf "%s" "$2" > "$ws/$id.$n.arg-mode"',
    'echo x > "$ws/$id.a.txt"; echo data > "$ws/$id.c.txt"',
    `if ${okWhen}; then echo OK > "$ws/$id.b.txt"; else echo NOT-YET > "$ws/$id.b.txt"; fi`,
  ].join('\n');
}

const sh = { kind: 'command' as const, command: ['bash', '-c'], circuit_breaker: { failures: 1, cooldown: '1h' } };
const args = (okWhen: string) => [program(okWhen), 'sheet', '{{validations.failed}}', '{{sheet.mode}}'];

describe('validations and completion mode', () => {
  it('partial (2 of 3) then full in completion mode: completed after 2 attempts, told what failed', async () => {
    const score = defineScore({
      version: 1,
      name: 'partial-then-full',
      workspace: dir,
      instruments: { sh },
      defaults: { backoff: QUICK_BACKOFF, retries: 0 },
      sheets: [{ id: 'fix', args: args('[ "$BATON_MODE" = completion ]'), validations: threeChecks }],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(byId(result.sheets).fix).toMatchObject({ state: 'completed', attempts: 2 });
    expect(read('fix.modes').trim().split('\n')).toEqual(['normal', 'completion']);

    const failed = `file_matches ${dir}/fix.b.txt /^OK/`;
    // Normal attempt: nothing failed yet.
    expect(read('fix.1.env')).toBe('<unset>');
    expect(read('fix.1.arg-failed')).toBe('');
    expect(read('fix.1.arg-mode')).toBe('normal');
    // Completion attempt: env and templates name exactly the validation that failed.
    expect(read('fix.2.env')).toBe(failed);
    expect(read('fix.2.arg-failed')).toBe(failed);
    expect(read('fix.2.arg-mode')).toBe('completion');

    await flushEvents();
    expect(modes('fix')).toEqual(['normal', 'completion']);
    const partial = events.filter((e) => e.type === 'sheet.partial');
    expect(partial).toHaveLength(1);
    expect(partial[0]).toMatchObject({ sheetId: 'fix' });
    expect((partial[0] as Extract<BatonEvent, { type: 'sheet.partial' }>).passRate).toBeCloseTo(2 / 3);
    // A partial pass is not an execution failure: the breaker (failures: 1) never opened.
    expect(events.filter((e) => e.type.startsWith('circuit.'))).toEqual([]);
    expect(conductor.breakerState('sh')).toBe('closed');
  });

  it('tells a completion attempt every failed validation, in order, one per line / joined by "; "', async () => {
    const score = defineScore({
      version: 1,
      name: 'two-failed',
      workspace: dir,
      instruments: { sh },
      defaults: { backoff: QUICK_BACKOFF, retries: 0 },
      sheets: [
        {
          id: 'two',
          args: args('[ "$BATON_MODE" = completion ]'),
          validations: [...threeChecks, { file_exists: '{{workspace}}/{{sheet.id}}.missing-{{sheet.mode}}' }],
          completion_attempts: 1,
        },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    // 2 of 4 pass, then 3 of 4 in completion mode with no completion attempt left: failed.
    expect(byId(result.sheets).two).toMatchObject({ state: 'failed', reason: 'validation_failed', attempts: 2 });
    const failed = [`file_matches ${dir}/two.b.txt /^OK/`, `file_exists ${dir}/two.missing-normal`];
    expect(read('two.2.env')).toBe(failed.join('\n'));
    expect(read('two.2.arg-failed')).toBe(failed.join('; '));
  });

  it('a sheet that never satisfies its partial validations stops after completion_attempts and fails with validation_failed', async () => {
    const score = defineScore({
      version: 1,
      name: 'never-full',
      workspace: dir,
      instruments: { sh },
      defaults: { backoff: QUICK_BACKOFF, retries: 0 },
      sheets: [{ id: 'stubborn', completion_attempts: 2, args: args('false'), validations: threeChecks }],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('failed');
    const sheet = byId(result.sheets).stubborn!;
    expect(sheet).toMatchObject({ state: 'failed', reason: 'validation_failed', attempts: 3 });
    expect(sheet.lastError).toMatch(/67%/);
    expect(read('stubborn.modes').trim().split('\n')).toEqual(['normal', 'completion', 'completion']);
    await flushEvents();
    expect(modes('stubborn')).toEqual(['normal', 'completion', 'completion']);
    expect(events.filter((e) => e.type === 'sheet.failed')).toEqual([
      expect.objectContaining({ sheetId: 'stubborn', reason: 'validation_failed' }),
    ]);
  });

  it('0 % passing consumes normal attempts: 1 + retries runs, all normal, then failed', async () => {
    const score = defineScore({
      version: 1,
      name: 'zero',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF },
      sheets: [
        {
          id: 'nothing',
          retries: 2,
          args: ['echo run >> "$BATON_WORKSPACE/nothing.runs"; echo "$BATON_MODE" >> "$BATON_WORKSPACE/nothing.modes"'],
          validations: threeChecks,
        },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(byId(result.sheets).nothing).toMatchObject({ state: 'failed', reason: 'validation_failed', attempts: 3 });
    expect(read('nothing.modes').trim().split('\n')).toEqual(['normal', 'normal', 'normal']);
    await flushEvents();
    const retries = events.filter((e) => e.type === 'sheet.retry');
    expect(retries.map((e) => (e.type === 'sheet.retry' ? [e.attempt, e.reason, e.mode] : []))).toEqual([
      [1, 'validation_failed', 'normal'],
      [2, 'validation_failed', 'normal'],
    ]);
    expect(events.filter((e) => e.type === 'sheet.partial')).toEqual([]);
  });

  it('no validations: completed at once; all validations passing: completed at once', async () => {
    const score = defineScore({
      version: 1,
      name: 'plain',
      workspace: dir,
      instruments: { sh: { kind: 'command', command: ['bash', '-c'] } },
      defaults: { backoff: QUICK_BACKOFF, retries: 3 },
      sheets: [
        { id: 'none', args: ['echo "$BATON_MODE" >> "$BATON_WORKSPACE/none.modes"'] },
        { id: 'full', args: args('true'), validations: threeChecks },
      ],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);

    expect(result.outcome).toBe('completed');
    expect(byId(result.sheets).none).toMatchObject({ state: 'completed', attempts: 1 });
    expect(byId(result.sheets).full).toMatchObject({ state: 'completed', attempts: 1 });
    expect(read('none.modes')).toBe('normal\n');
    expect(read('full.modes')).toBe('normal\n');
  });

  it('a function instrument in completion mode gets the failed validations in ctx.sheet', async () => {
    const seen: Array<{ mode: string; failed: string[] }> = [];
    const { writeFile } = await import('node:fs/promises');
    const score = defineScore({
      version: 1,
      name: 'function-completion',
      workspace: dir,
      instruments: {
        fn: {
          kind: 'function',
          run: async (ctx: SheetFunctionContext) => {
            seen.push({ mode: ctx.sheet.mode, failed: ctx.sheet.failedValidations });
            await writeFile(join(ctx.workspace, 'f.a.txt'), 'x');
            await writeFile(join(ctx.workspace, 'f.c.txt'), 'x');
            await writeFile(join(ctx.workspace, 'f.b.txt'), ctx.sheet.mode === 'completion' ? 'OK' : 'no');
            return { ok: true };
          },
        },
      },
      defaults: { retries: 0 },
      sheets: [{ id: 'f', validations: threeChecks }],
    });
    const id = conductor.register(score);
    const result = await conductor.waitForCompletion(id);
    expect(result.outcome).toBe('completed');
    expect(seen).toEqual([
      { mode: 'normal', failed: [] },
      { mode: 'completion', failed: [`file_matches ${dir}/f.b.txt /^OK/`] },
    ]);
  });
});
