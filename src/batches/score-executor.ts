import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCommandInstrument } from '../actors/instruments/command.js';
import { createFunctionInstrument } from '../actors/instruments/function.js';
import type { AttemptOutcome, AttemptRequest, Instrument } from '../actors/instruments/instrument.js';
import { SignalAbortSource } from '../actors/attempt-abort.js';
import { perform } from '../actors/musician.js';
import type { BatchExecutor, BatchExecutorContext, ScoreInstrumentExecutor } from './types.js';
import { errorMessage } from '../util/error-message.js';

export interface ResolvedExecutor<T, R> {
  execute: BatchExecutor<T, R>;
  /** The instrument's own per-attempt timeout, used when the run sets none. */
  timeoutMs?: number;
}

/**
 * Runs each batch as one attempt of a score's instrument, so a batch gets the instrument's
 * process-group handling, output capture and abort behaviour. Items travel as JSON: a function
 * instrument reads `ctx.vars.batch` and returns the results as `output`; a command instrument
 * reads the file named by `BATON_BATCH_FILE` and prints a JSON array on stdout. Its files live
 * in `<workspace>/batches/<runId>/<batchIndex>/`.
 */
export function scoreExecutor(spec: ScoreInstrumentExecutor, runId: string): ResolvedExecutor<unknown, unknown> {
  const { score, instrument: name, model } = spec;
  const instrument = score.instruments[name];
  if (instrument === undefined) {
    const known = Object.keys(score.instruments).join(', ');
    throw new TypeError(`batches: executor.instrument "${name}" is not an instrument of score "${score.name}" (it has: ${known})`);
  }
  const models = Object.keys(instrument.models);
  if (model !== undefined && models.length > 0 && !models.includes(model)) {
    throw new TypeError(`batches: executor.model "${model}" is not a model of instrument "${name}" (it has: ${models.join(', ')})`);
  }
  const folderOf = (context: BatchExecutorContext): string =>
    join(score.workspace, 'batches', runId, String(context.batchIndex));
  const request = (context: BatchExecutorContext, vars: Record<string, string>): AttemptRequest => ({
    jobId: `batches/${runId}`,
    sheetId: `batches/${runId}/${context.batchIndex}`,
    attempt: context.attempt,
    // A batch has no modes: each of its attempts is one run.
    run: context.attempt,
    mode: 'normal',
    // The number of batches is not known while the source is pulled lazily.
    fan: { index: context.batchIndex + 1, count: 0 },
    workspace: score.workspace,
    ...(model !== undefined ? { model } : {}),
    vars,
    deps: {},
    args: [],
    outputPrefix: join(folderOf(context), `attempt-${context.attempt}`),
  });
  const timeout = instrument.timeoutMs !== undefined ? { timeoutMs: instrument.timeoutMs } : {};

  if (instrument.kind === 'function') {
    const fn = instrument.fn;
    if (fn === undefined) {
      throw new TypeError(
        `batches: instrument "${name}" has no function loaded: load the score with loadScore(), or set its \`fn\``,
      );
    }
    const player = createFunctionInstrument({ name, fn });
    return {
      ...timeout,
      execute: async (items, context) => {
        const outcome = await play(player, request(context, { batch: JSON.stringify(items) }), context.signal);
        return resultArray(outcome.output, `instrument "${name}" returned output`);
      },
    };
  }

  return {
    ...timeout,
    execute: async (items, context) => {
      const folder = folderOf(context);
      const itemsFile = join(folder, 'items.json');
      await mkdir(folder, { recursive: true });
      await writeFile(itemsFile, JSON.stringify(items));
      const player = createCommandInstrument({
        name,
        command: instrument.command,
        env: { ...instrument.env, BATON_BATCH_FILE: itemsFile },
      });
      const outcome = await play(player, request(context, {}), context.signal);
      const stdoutFile = outcome.stdoutFile ?? `${request(context, {}).outputPrefix}.stdout`;
      let printed: unknown;
      try {
        printed = JSON.parse(await readFile(stdoutFile, 'utf8'));
      } catch (error) {
        const why = errorMessage(error);
        throw new Error(`instrument "${name}" printed no JSON array on stdout (${why}); see ${stdoutFile}`, { cause: error });
      }
      return resultArray(printed, `instrument "${name}" printed`);
    },
  };
}

async function play(instrument: Instrument, request: AttemptRequest, signal: AbortSignal): Promise<AttemptOutcome> {
  const outcome = await perform(instrument, request, new SignalAbortSource(signal), () => {});
  if (outcome.status !== 'success') throw new Error(`instrument "${instrument.name}": ${outcome.error ?? 'attempt failed'}`);
  return outcome;
}

function resultArray(value: unknown, what: string): unknown[] {
  if (Array.isArray(value)) return value as unknown[];
  const shape = value === null || value === undefined ? String(value) : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  throw new TypeError(`${what} ${shape}; expected a JSON array with one result per item`);
}
