import type { ScoreProblem } from '../score/errors.js';

/**
 * A simulation profile that cannot be used. `message` holds every problem, one
 * `path: message` line each (`instruments.agent.latency: ...`), so it can be printed as it is.
 */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  readonly problems: ScoreProblem[];

  constructor(problems: ScoreProblem[]) {
    super(problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.problems = problems;
  }
}
