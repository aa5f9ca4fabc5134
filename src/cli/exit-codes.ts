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
