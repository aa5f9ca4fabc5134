import { createWriteStream, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import type { InspectionEvent } from 'xstate';
import { Conductor } from '../../runtime/conductor.js';
import { inspectionStream } from '../../observe/inspection.js';
import { promptFileOf } from '../../observe/report/prompts.js';
import type { Score } from '../../score/types.js';
import { MemoryStore } from '../../store/memory-store.js';
import { port, positiveInteger } from '../arguments.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { openInspectWs, type InspectWs } from '../inspect-ws.js';
import { reportScoreError } from '../score-errors.js';
import { addDefaultsOption, loadScoreForCli, type DefaultsFlags } from '../score-loading.js';
import { textSummary } from '../summary.js';
import { errorMessage } from '../../util/error-message.js';

interface InspectFlags extends DefaultsFlags {
  out?: string;
  concurrency?: number;
  inspectWs?: number;
}

export function defineInspectCommand(cli: Command): void {
  const command = cli
    .command('inspect')
    .description('run a job (checkpointed in memory only) and print its XState inspection records as JSON lines')
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--out <file>', 'write the records to FILE; stdout then gets only the final summary line')
    .option('--concurrency <n>', 'override the score’s global concurrency', positiveInteger)
    .option('--inspect-ws <port>', 'also serve the inspection on ws://127.0.0.1:PORT for the Stately inspector', port);
  addDefaultsOption(command).action(async (score: string, flags: InspectFlags) => {
    process.exitCode = await inspectCommand(score, flags);
  });
}

/** Lines are written in batches: one write per record would dominate a large job. */
const BATCH = 256;

async function inspectCommand(scorePath: string, flags: InspectFlags): Promise<number> {
  let score: Score;
  try {
    score = await loadScoreForCli(scorePath, flags);
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
  if (flags.concurrency !== undefined) score = { ...score, concurrency: flags.concurrency };

  const sink = openSink(flags.out);
  if (sink === undefined) return EXIT.usage;
  let ws: InspectWs | null | undefined;
  if (flags.inspectWs !== undefined) {
    ws = await openInspectWs(flags.inspectWs, process.stderr);
    if (ws === null) {
      if (sink !== process.stdout) sink.end();
      return EXIT.usage;
    }
  }

  const stream = inspectionStream();
  let lines: string[] = [];
  let records = 0;
  const flush = (): void => {
    if (lines.length === 0) return;
    sink.write(lines.join(''));
    lines = [];
  };
  stream.inspection$.subscribe((record) => {
    records++;
    lines.push(`${JSON.stringify(record)}\n`);
    if (lines.length >= BATCH) flush();
  });
  const forward = ws?.inspect;
  const inspect = forward
    ? (event: InspectionEvent): void => {
        stream.inspect(event);
        forward.next?.(event);
      }
    : stream.inspect;

  const conductor = new Conductor({ inspect });
  const store = new MemoryStore();
  const jobId = conductor.register(score, { store });
  let stopped = false;
  const onSignal = (): void => {
    if (stopped) return;
    stopped = true;
    process.stderr.write('\nbaton: stopping\n');
    void conductor.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const result = await conductor.waitForCompletion(jobId);
  await conductor.shutdown();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  stream.close();
  for (const record of await promptRecords(store, jobId, records)) {
    records++;
    lines.push(`${JSON.stringify(record)}\n`);
  }
  flush();
  await ws?.close();
  if (sink !== process.stdout) {
    sink.end();
    await finished(sink);
  }

  const summary = textSummary(result).split('\n')[0];
  if (flags.out !== undefined) process.stdout.write(`${summary}; ${records} inspection records in ${flags.out}\n`);
  else process.stderr.write(`${summary}; ${records} inspection records\n`);
  return stopped ? EXIT.interrupted : exitCodeFor(result.outcome);
}

/**
 * What each command attempt was told, after the inspection records: one record per attempt
 * that kept a prompt, its whole text read from the file beside its output (docs/inspection.md).
 */
interface PromptRecord {
  seq: number;
  type: 'baton.prompt';
  jobId: string;
  sheetId: string;
  /** The attempt's run number: the `<n>` of its `<n>.stdout` and `<n>.prompt`. */
  run: number;
  file: string;
  prompt: string;
}

async function promptRecords(store: MemoryStore, jobId: string, seenBefore: number): Promise<PromptRecord[]> {
  const out: PromptRecord[] = [];
  for (const attempt of store.loadAttempts()) {
    const file = promptFileOf(attempt);
    if (file === undefined) continue;
    let prompt: string;
    try {
      prompt = await readFile(file, 'utf8');
    } catch {
      continue; // the attempt failed before its prompt was written
    }
    out.push({ seq: seenBefore + out.length + 1, type: 'baton.prompt', jobId, sheetId: attempt.sheetId, run: attempt.number, file, prompt });
  }
  return out;
}

/** Stdout, or the `--out` file, opened now so that a path that cannot be written is a usage error. */
function openSink(out: string | undefined): Writable | undefined {
  // A reader that went away (`| head`) ends the output, not the run (see closed-output.ts).
  if (out === undefined) return process.stdout;
  try {
    return createWriteStream(out, { fd: openSync(out, 'w') });
  } catch (error) {
    const message = errorMessage(error);
    process.stderr.write(`baton: --out ${out}: cannot write (${message})\n`);
    return undefined;
  }
}
