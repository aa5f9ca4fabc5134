import { ScoreError, type ScoreProblem } from '../score/errors.js';
import { EXIT } from './exit-codes.js';

/** Prints a score's problems, one line each, and gives the exit status; rethrows anything else. */
export function reportScoreError(error: unknown, err: NodeJS.WriteStream): number {
  if (!(error instanceof ScoreError)) throw error;
  for (const problem of error.problems) err.write(`${problemLine(problem)}\n`);
  return EXIT.usage;
}

/** `<file>`, `<score>`, `<profile>`: the path of a problem with a whole file. */
const WHOLE_FILE = /^<\w+>$/;

/**
 * A problem as one line: `sheets[2].depends_on[0]: unknown sheet "x"`. A problem with the
 * whole file (not found, unreadable, empty) has no path worth printing, and its
 * stand-in path (`<file>`, `<score>`) is no word a user knows.
 */
export function problemLine(problem: ScoreProblem): string {
  return WHOLE_FILE.test(problem.path) ? problem.message : `${problem.path}: ${problem.message}`;
}
