import type { JobOutcome } from '../machines/types.js';

/** Exit statuses of `baton run` and `baton resume` (SCORE.md). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  fermata: 3,
  budget: 4,
  /** Stopped by SIGINT/SIGTERM, as shells expect. */
  interrupted: 130,
} as const;

/** What each exit status means, for `--help`: one entry per status above. */
const MEANING: Record<keyof typeof EXIT, string> = {
  ok: 'every sheet completed',
  failed: 'a sheet failed, or was skipped because one failed (any command: an unexpected error)',
  usage: 'invalid score, profile or arguments, or a checkpoint problem',
  fermata: 'held at a fermata: `baton decide`, then `baton resume`',
  budget: 'paused: the budget is spent; raise it, then `baton resume`',
  interrupted: 'stopped by Ctrl-C or SIGTERM; `baton resume` continues',
};

/** The exit statuses as `--help` lists them. */
export function exitCodesHelp(): string {
  const rows = (Object.keys(EXIT) as Array<keyof typeof EXIT>).map((name) => `  ${String(EXIT[name]).padEnd(5)}${MEANING[name]}`);
  return (
    `\nExit status of run, resume and inspect:\n${rows.join('\n')}\n` +
    `Other commands exit ${EXIT.ok} when done and ${EXIT.usage} on invalid input or a missing checkpoint.\n`
  );
}

export function exitCodeFor(outcome: JobOutcome): number {
  switch (outcome) {
    case 'completed':
      return EXIT.ok;
    case 'held':
      return EXIT.fermata;
    case 'paused':
      return EXIT.budget;
    case 'failed':
      return EXIT.failed;
    case 'cancelled':
    case 'interrupted':
      return EXIT.interrupted;
  }
}
