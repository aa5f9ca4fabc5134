/**
 * The zod schema of the score file (SCORE.md). It checks shapes, ranges and formats; what
 * needs the whole score (instrument names, dependencies, templates) is checked when the
 * score is compiled. Every object is strict: an unknown key is an error.
 */
import { z } from 'zod';
import type { SheetFunction } from '../actors/instruments/instrument.js';
import { durationMs, durationProblem } from './duration.js';
import { sizeProblem } from './size.js';

/** Score names, sheet ids and instrument names. */
const ID_PATTERN = /^[A-Za-z0-9._-]+$/;
const ENV_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const id = z
  .string()
  .regex(ID_PATTERN, { error: 'must match [A-Za-z0-9._-]+' })
  .refine((s) => s !== '.' && s !== '..' && s !== '__proto__', { error: (issue) => `${JSON.stringify(issue.input)} is reserved` });

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string' });

const duration = z
  .union([z.number(), z.string()], {
    error: 'expected a duration: seconds, or a string like "500ms", "30s", "5m", "1h"',
  })
  .check((ctx) => {
    const problem = durationProblem(ctx.value);
    if (problem !== null) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

/** Why `source` does not compile as a regex (or lacks a needed capture group), or null. */
function regexProblem(source: string, flags: string, needsGroup: boolean): string | null {
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    const reason = e instanceof Error ? e.message.replace(/^.*: /, '') : String(e);
    return `invalid regular expression ${JSON.stringify(source)}: ${reason}`;
  }
  if (needsGroup && captureGroups(re) === 0) {
    return `regular expression ${JSON.stringify(source)} needs a capture group, e.g. "(\\d+)"`;
  }
  return null;
}

function captureGroups(re: RegExp): number {
  return new RegExp(`${re.source}|`, re.flags).exec('')!.length - 1;
}

const regex = (flags: string, needsGroup: boolean) =>
  z.string().check((ctx) => {
    const problem = regexProblem(ctx.value, flags, needsGroup);
    if (problem !== null) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

const count = z.int().min(0);
const cap = z.int().min(1);
const usd = z.number().min(0);

const backoffSchema = z
  .strictObject({
    initial: duration.optional().describe('Wait before the first retry. @default 1s'),
    factor: z.number().min(1).optional().describe('Multiplier per further retry (≥ 1). @default 2'),
    max: duration.optional().describe('Longest wait between retries. @default 5m'),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Spread of each wait, as a fraction 0..1 (0.1 = ±10%). @default 0.1'),
  })
  .describe('Capped exponential backoff between retries: min(max, initial × factor^(n-1)) ± jitter. Unset fields keep their default.');

/** The settings a sheet can take from `defaults:` or set itself. */
const sheetSettings = {
  instrument: z
    .string()
    .optional()
    .describe('Instrument that runs the sheet. Optional when the score defines exactly one instrument.'),
  model: z
    .string()
    .min(1)
    .optional()
    .describe("Model of the instrument (a key of its `models:` when that map is not empty); available to templates as {{model}}."),
  retries: count.optional().describe('Retries after the first attempt (total attempts = 1 + retries). @default 3'),
  backoff: backoffSchema.optional(),
  timeout: duration
    .refine((v) => (durationMs(v) ?? 1) > 0, { error: 'must be greater than 0' })
    .optional()
    .describe("Per-attempt time limit; the process group is killed on expiry. Falls back to the instrument's timeout. @default none"),
  on_dependency_failure: z
    .enum(['skip', 'fail'])
    .optional()
    .describe('What happens to the sheet when a dependency fails: `skip` or `fail`. @default skip'),
  escalate: z.boolean().optional().describe('Exhausted sheets go to fermata (held for a decision) instead of failing. @default false'),
  heal: z.boolean().optional().describe('One extra attempt in mode `healing` before escalating or failing. @default false'),
  completion_attempts: count.optional().describe('Attempts in completion mode after a partial validation. @default 5'),
  budget_usd: usd.optional().describe('Per-sheet cost cap in USD, checked after every attempt. @default none'),
  vars: z
    .record(z.string().regex(ID_PATTERN, { error: 'must match [A-Za-z0-9._-]+' }), scalar)
    .optional()
    .describe('Values for {{vars.NAME}}; a sheet\'s vars are merged over the defaults\' vars. Numbers and booleans become text.'),
  // Agent prompts: the prompt's own field.
  prompt: z
    .string()
    .optional()
    .describe("The sheet's prompt: a template with the names of args, multi-line; given to the program as its instrument's prompt_via says, and to a function as ctx.prompt."),
};

const validationSchema = z
  .strictObject({
    file_exists: z.string().optional().describe('Passes when this file (a template) exists.'),
    file_matches: z
      .strictObject({
        path: z.string().describe('File to read (a template).'),
        pattern: regex('', false).describe('Regular expression the file content must match.'),
      })
      .optional()
      .describe('Passes when the file exists and its content matches `pattern`.'),
    command_succeeds: z
      .array(scalar)
      .min(1)
      .optional()
      .describe('Passes when this command (argv of templates, run without a shell) exits 0.'),
  })
  .check((ctx) => {
    const given = ['file_exists', 'file_matches', 'command_succeeds'].filter(
      (k) => (ctx.value as Record<string, unknown>)[k] !== undefined,
    );
    if (given.length !== 1) {
      ctx.issues.push({
        code: 'custom',
        message:
          given.length === 0
            ? 'expected one of file_exists, file_matches, command_succeeds'
            : `give one check per validation, not ${given.join(' and ')}`,
        input: ctx.value,
      });
    }
  })
  .describe('One check run after a successful attempt: all pass → completed; some pass → completion mode.');

// Cross-sheet context: what a sheet's prompt is given of its dependencies' output and of files.
const size = z
  .union([z.number(), z.string()], { error: 'expected a size: bytes, or a string like "64KiB", "1MiB"' })
  .check((ctx) => {
    const problem = sizeProblem(ctx.value);
    if (problem !== null) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  });

const workspaceGlob = z
  .string()
  .min(1)
  .check((ctx) => {
    const glob = ctx.value;
    const problem = glob.startsWith('/')
      ? 'must be relative to the workspace, not an absolute path'
      : glob.split('/').includes('..')
        ? 'must stay under the workspace: no ".." segment'
        : null;
    if (problem !== null) ctx.issues.push({ code: 'custom', message: `${JSON.stringify(glob)} ${problem}`, input: glob });
  });

const contextSchema = z
  .strictObject({
    deps: z
      .union([z.boolean(), z.array(z.string()).min(1)], { error: 'expected true, false or a list of dependency ids' })
      .optional()
      .describe('The output (stdout; a function\'s output as JSON) of direct dependencies: true for every one, or a list of ids (a sheet, a fan-out, one member). @default false'),
    files: z
      .array(workspaceGlob)
      .min(1)
      .optional()
      .describe('Globs of files under the workspace (`*`, `**`, `?`, `[ab]`, `{a,b}`); every match is one item, in sorted order.'),
    max_bytes: size.optional().describe('Most bytes of one item; a longer one is cut, with a line saying what was cut. @default 64KiB'),
    total_max_bytes: size.optional().describe('Most bytes of all the items together. @default 512KiB'),
  })
  .describe('Cross-sheet context, rendered at {{context}} (appended to the prompt when the prompt does not name it) and given to a function as ctx.context.');

const sheetSchema = z
  .strictObject({
    id: id.describe('Unique sheet id, [A-Za-z0-9._-]+. A fan-out expands to <id>.1 … <id>.<n>.'),
    args: z
      .array(scalar)
      .optional()
      .describe("Templates appended to the instrument's command; each rendered template is one argv element."),
    depends_on: z
      .array(z.string())
      .optional()
      .describe('Sheets this one waits for: a sheet id, a fan-out id (every member) or one member (`analyze.2`).'),
    fan_out: cap.optional().describe('Expands the entry into this many sheets, <id>.1 … <id>.<n>.'),
    validations: z.array(validationSchema).optional().describe('Checks of a successful attempt.'),
    context: contextSchema.optional(),
    ...sheetSettings,
  })
  .describe('One entry of the job: a sheet, or a fan-out of sheets.');

// Bounds that keep a rate-limited sheet from spinning: a floor on every wait, a cap on its limited runs.
const rateLimitBounds = {
  min_wait: duration
    .refine((v) => (durationMs(v) ?? 1) > 0, { error: 'must be greater than 0' })
    .optional()
    .describe('Every wait (parsed, default or a function\'s rate_limited_s) is at least this. @default 1s'),
  max_limited_runs: cap
    .optional()
    .describe("A sheet's rate-limited run that reaches this count fails it with reason rate_limited. @default 100"),
};

function minWaitNotOverMax(ctx: { value: { min_wait?: number | string | undefined; max_wait?: number | string | undefined }; issues: unknown[] }): void {
  const min = durationMs(ctx.value.min_wait);
  const max = durationMs(ctx.value.max_wait ?? '1h');
  if (min !== null && max !== null && min > max) {
    ctx.issues.push({ code: 'custom', path: ['min_wait'], message: `must not be longer than max_wait (${ctx.value.max_wait ?? '1h'})`, input: ctx.value.min_wait });
  }
}

const rateLimitSchema = z
  .strictObject({
    patterns: z
      .array(regex('i', false))
      .min(1)
      .describe('Regular expressions (case-insensitive), each tested against every line of the scanned streams: one match anywhere marks a failed attempt as rate-limited.'),
    streams: z
      .array(z.enum(['stdout', 'stderr']))
      .min(1)
      .optional()
      .describe('Output streams scanned, whole, for the patterns and retry_after. @default [stderr]'),
    retry_after: regex('i', true)
      .optional()
      .describe('Regular expression whose first capture group is the number of seconds to wait: its last match that is a number >= 0 counts, in the first listed stream that has one.'),
    default_wait: duration.optional().describe('Wait when no retry_after is found. @default 60s'),
    max_wait: duration.optional().describe('A parsed wait is clamped to this. @default 1h'),
    scope: z
      .enum(['instrument', 'model'])
      .optional()
      .describe(
        "What a rate-limited attempt holds back: `instrument`, every sheet of the instrument whatever its model; `model`, only the sheets of the attempt's model (an attempt without a model still holds the whole instrument). @default instrument",
      ),
    ...rateLimitBounds,
  })
  .check(minWaitNotOverMax)
  .describe('How a rate-limited attempt is recognised in its output. It does not consume an attempt; the sheets of its `scope` wait.');

const instrumentCommon = {
  concurrency: cap.optional().describe('Cap on attempts of this instrument in flight at once, across every job.'),
  models: z
    .record(
      z.string().min(1),
      z
        .strictObject({ concurrency: cap.optional().describe('Cap on attempts of this model in flight at once.') })
        .nullable(),
    )
    .optional()
    .describe('Models of this instrument, with optional per-model caps. When not empty, a sheet\'s model must be one of them.'),
  timeout: duration
    .refine((v) => (durationMs(v) ?? 1) > 0, { error: 'must be greater than 0' })
    .optional()
    .describe("Per-attempt time limit for sheets that set none. @default none"),
  rate_limit: rateLimitSchema.optional(),
  cost_pattern: regex('', true)
    .optional()
    .describe('Regular expression tested against every line of stdout whose first capture group is the attempt cost in USD: its last match that is a number >= 0 counts.'),
  circuit_breaker: z
    .strictObject({
      failures: cap.optional().describe('Consecutive failed attempts that open the breaker. @default 5'),
      cooldown: duration.optional().describe('How long the breaker stays open. @default 30s'),
    })
    .optional()
    .describe('Stops dispatching to the instrument after repeated failures, for a cooldown.'),
  shared_as: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'must be letters, digits, ".", "_" or "-", starting with a letter or digit' })
    .max(100)
    .optional()
    .describe("The identity this instrument's rate limits, breaker and shared cap are shared under with other conductors (`--coordinate`). @default the instrument's name"),
  shared_concurrency: cap
    .optional()
    .describe('Cap on attempts of this `shared_as` identity running at once across every conductor on the coordination backend; without one, of this conductor.'),
  fallback: z
    .array(z.string())
    .optional()
    .describe('Instruments tried in order once the attempts on this one run out.'),
  buffer: z
    .strictObject({
      size: count.describe('Starts that may wait for a worker; when full, sheets stay ready until a slot frees. 0: no buffer.'),
      workers: cap.optional().describe('Starts in progress at once. @default 1'),
    })
    .optional()
    .describe('A bounded queue in front of slow starts (a remote API, a cold process): dispatching never waits for them. @default { size: 0 }'),
};

// Structured output (issue 16): fields of the JSON result an agent CLI prints on stdout.
const DOTTED_PATH = /^[^.\s]+(\.[^.\s]+)*$/;
const dottedPath = z.string().regex(DOTTED_PATH, { error: 'must be a dotted path to a field, such as total_cost_usd or usage.cost' });

const structuredOutputSchema = z
  .strictObject({
    format: z
      .enum(['json', 'jsonl'])
      .optional()
      .describe('json: the JSON object that ends stdout (it may span lines); jsonl: the last line of stdout that parses as a JSON object. @default json'),
    cost: dottedPath.optional().describe("Path to a number >= 0: the attempt's cost in USD (not with cost_pattern)."),
    failed: dottedPath.optional().describe('Path to a boolean: true fails an attempt that exited 0.'),
    message: dottedPath
      .optional()
      .describe("Path to a string: a failed attempt's error text, also tested against rate_limit.patterns."),
    retry_after: dottedPath.optional().describe('Path to a number of seconds: the wait of a rate-limited attempt.'),
  })
  .describe('Fields read from the JSON result at the end of stdout (its last 8 MiB); output without one fails the attempt.');

const outputField = { output: structuredOutputSchema.optional() };

const commandInstrumentSchema = z
  .strictObject({
    kind: z.literal('command').describe('A subprocess, started without a shell.'),
    command: z
      .array(scalar)
      .min(1)
      .describe("argv prefix, e.g. [bash, -c]; the sheet's rendered args are appended."),
    env: z
      .record(z.string().regex(ENV_PATTERN, { error: 'must match [A-Za-z_][A-Za-z0-9_]*' }), scalar)
      .optional()
      .describe('Variables added to a minimal inherited environment.'),
    // Agent prompts: how a sheet's prompt reaches the program.
    prompt_via: z
      .enum(['stdin', 'file', 'arg'])
      .optional()
      .describe("How a sheet's prompt reaches the program: `stdin` (written to its stdin, then closed), `file` (written to the attempt's folder; {{prompt_file}} in args is its path) or `arg` (appended as one argv element). @default stdin"),
    ...instrumentCommon,
    ...outputField,
  })
  .describe('An instrument that runs a command.');

const functionInstrumentSchema = z
  .strictObject({
    kind: z.literal('function').describe('An in-process async function.'),
    module: z.string().min(1).optional().describe('ES module that exports the function, relative to the score file.'),
    export: z.string().min(1).optional().describe('Name of the export. @default default'),
    run: z
      .custom<SheetFunction>((v) => typeof v === 'function', { error: 'expected a function' })
      .optional()
      .describe('The function itself (programmatic scores only), instead of module.'),
    ...instrumentCommon,
  })
  .check((ctx) => {
    const { module, run } = ctx.value;
    if (module === undefined && run === undefined) {
      ctx.issues.push({
        code: 'custom',
        path: ['module'],
        message: 'required for a function instrument (an ES module path relative to the score file)',
        input: ctx.value,
      });
    } else if (module !== undefined && run !== undefined) {
      ctx.issues.push({ code: 'custom', path: ['run'], message: 'give either module or run, not both', input: ctx.value });
    }
  })
  .describe('An instrument that calls an async function: async (ctx) => ({ ok, output?, cost_usd?, rate_limited_s? }).');

const instrumentSchema = z
  .discriminatedUnion('kind', [commandInstrumentSchema, functionInstrumentSchema])
  .describe('A backend that runs attempts: `kind: command` (a subprocess) or `kind: function` (an async function).');

export const scoreSchema = z
  .strictObject({
    version: z.literal(1).describe('Version of the score format; always 1.'),
    name: id.describe('Name of the job, [A-Za-z0-9._-]+.'),
    workspace: z
      .string()
      .min(1)
      .optional()
      .describe("Folder for the checkpoint and captured output, relative to the score file's folder. @default .baton/<name>"),
    concurrency: cap.optional().describe('Cap on sheets of this job dispatched or running at once. @default 10'),
    budget_usd: usd
      .optional()
      .describe('Job cost budget in USD: once spent, nothing new is dispatched and the job pauses. @default none'),
    pacing: duration.optional().describe('Minimum gap between two dispatches of this job. @default 0s'),
    max_sheets: cap
      .optional()
      .describe('Most sheets the score may expand to (fan-outs counted member by member); a larger score is refused when it is validated. @default 500000'),
    sequential: z
      .boolean()
      .optional()
      .describe('When true, a sheet without depends_on depends on the entry before it. @default false'),
    defaults: z.strictObject(sheetSettings).optional().describe('Settings for every sheet that does not set them itself.'),
    instruments: z
      .record(id, instrumentSchema)
      .describe('The instruments sheets run on, by name ([A-Za-z0-9._-]+).'),
    sheets: z.array(sheetSchema).min(1).describe('The sheets of the job, in order.'),
  })
  .describe('A baton score: one job, as a DAG of sheets run by instruments.');

/** A score as written: what a file holds, or what a program passes to `defineScore`. */
export type ScoreInput = z.input<typeof scoreSchema>;
/** A score that passed the schema, before it is compiled. */
export type ScoreData = z.output<typeof scoreSchema>;
export type SheetData = ScoreData['sheets'][number];
export type InstrumentData = ScoreData['instruments'][string];
