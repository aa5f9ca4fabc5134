import { ScoreError } from '../score/errors.js';
import { EXIT } from './exit-codes.js';

/** Prints a score's problems, one line each, and gives the exit status; rethrows anything else. */
export function reportScoreError(error: unknown, err: NodeJS.WriteStream): number {
  if (!(error instanceof ScoreError)) throw error;
  for (const problem of error.problems) err.write(`${problem.path}: ${problem.message}\n`);
  return EXIT.usage;
}
