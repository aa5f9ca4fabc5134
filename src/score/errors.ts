/** One thing wrong with a score, located by its path in the file (`sheets[2].depends_on[0]`). */
export interface ScoreProblem {
  path: string;
  message: string;
}

/**
 * A score that cannot run. `message` holds every problem found, one `path: message` line
 * each, so it can be printed as it is.
 */
export class ScoreError extends Error {
  override readonly name = 'ScoreError';
  readonly problems: ScoreProblem[];

  constructor(problems: ScoreProblem[]) {
    const unique = dedupe(problems);
    super(unique.map((p) => `${p.path}: ${p.message}`).join('\n'));
    this.problems = unique;
  }
}

/** Throws a `ScoreError` when there is at least one problem. */
export function throwIfProblems(problems: readonly ScoreProblem[]): void {
  if (problems.length > 0) throw new ScoreError([...problems]);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * The path of a value as a user reads it: `sheets[2].depends_on[0]`,
 * `instruments.sh.command`; keys with other characters are quoted (`instruments["a.b"]`).
 */
export function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const key = String(segment);
      if (PLAIN_KEY.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out === '' ? '<score>' : out;
}

function dedupe(problems: readonly ScoreProblem[]): ScoreProblem[] {
  const seen = new Set<string>();
  const out: ScoreProblem[] = [];
  for (const p of problems) {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: p.path, message: p.message });
  }
  return out;
}
