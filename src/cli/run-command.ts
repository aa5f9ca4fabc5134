import { Conductor } from '../runtime/conductor.js';
import { loadScore } from '../runtime/score/load.js';
import type { Score } from '../runtime/score/types.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { showProgress } from './progress.js';
import { reportScoreError } from './score-errors.js';
import { jsonSummary, textSummary } from './summary.js';

export interface RunFlags {
  concurrency?: number;
  json?: boolean;
  quiet?: boolean;
}

export async function runCommand(scorePath: string, flags: RunFlags): Promise<number> {
  let score: Score;
  try {
    score = await loadScore(scorePath);
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
  if (flags.concurrency !== undefined) score = { ...score, concurrency: flags.concurrency };

  const conductor = new Conductor();
  let jobId = '';
  const progress = flags.quiet
    ? Promise.resolve()
    : showProgress({ conductor, jobId: () => jobId, out: process.stderr, live: process.stderr.isTTY === true });
  jobId = conductor.register(score);

  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('\nbaton: stopping — killing running sheets…\n');
    conductor.cancel(jobId);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const result = await conductor.waitForCompletion(jobId);
  await conductor.shutdown();
  await progress;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  if (flags.json) process.stdout.write(`${JSON.stringify(jsonSummary(result), null, 2)}\n`);
  else if (!flags.quiet) process.stdout.write(`${textSummary(result)}\n`);
  return interrupted ? EXIT.interrupted : exitCodeFor(result.outcome);
}

export async function validateCommand(scorePath: string): Promise<number> {
  try {
    const score = await loadScore(scorePath);
    process.stdout.write(`${score.name}: valid (${score.sheetCount} sheets, ${Object.keys(score.instruments).length} instruments)\n`);
    return EXIT.ok;
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
}
