import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadPlatformDefaults } from '../../score/defaults/load.js';
import { parseScore } from '../../score/load.js';
import { ScoreError } from '../../score/errors.js';
import type { Score } from '../../score/types.js';
import { formatSimulation, loadProfile, ProfileError, simulate } from '../../simulate/index.js';
import { integer, positiveInteger } from '../arguments.js';
import { EXIT } from '../exit-codes.js';
import { problemLine, reportScoreError } from '../score-errors.js';
import { addDefaultsOption, defaultsFileFor, type DefaultsFlags } from '../score-loading.js';

interface SimulateFlags extends DefaultsFlags {
  profile: string;
  seed: number;
  runs: number;
  concurrency?: number;
  json?: boolean;
}

export function defineSimulateCommand(cli: Command): void {
  addDefaultsOption(cli.command('simulate'))
    .description('predict makespan, attempts, cost and rate-limited time in virtual time, with simulated instruments')
    .argument('<score>', 'score file (YAML or JSON)')
    .requiredOption('--profile <file>', 'how each instrument behaves (YAML or JSON; see docs/simulate.md)')
    .option('--seed <n>', 'seed of every random draw: the same seed prints the same result', integer, 1)
    .option('--runs <k>', 'how many times the job is run', positiveInteger, 20)
    .option('--concurrency <n>', 'override the score’s global concurrency', positiveInteger)
    .option('--json', 'print the whole result as JSON')
    .action(async (score: string, flags: SimulateFlags) => {
      process.exitCode = await simulateCommand(score, flags);
    });
}

/** Simulates a score's job and prints the prediction; invalid input exits 2. */
async function simulateCommand(scorePath: string, flags: SimulateFlags): Promise<number> {
  let score: Score;
  try {
    score = await readScore(scorePath, flags);
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
  try {
    const profile = await loadProfile(flags.profile);
    const result = await simulate(score, profile, {
      seed: flags.seed,
      runs: flags.runs,
      ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
    });
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatSimulation(result));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    for (const problem of error.problems) process.stderr.write(`${flags.profile}: ${problemLine(problem)}\n`);
    return EXIT.usage;
  }
}

/**
 * Reads and validates a score without importing its function modules: nothing of the
 * score runs in a simulation, so a module need not even exist yet.
 */
async function readScore(file: string, flags: DefaultsFlags): Promise<Score> {
  const sourcePath = path.resolve(file);
  const chosen = defaultsFileFor(flags);
  const defaults = chosen === undefined ? undefined : await loadPlatformDefaults(chosen.file, { namedBy: chosen.namedBy });
  let text: string;
  try {
    text = await readFile(sourcePath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `score file not found: ${sourcePath}` : `cannot read ${sourcePath}: ${(e as Error).message}`;
    throw new ScoreError([{ path: '<file>', message }]);
  }
  return parseScore(text, { sourcePath, baseDir: path.dirname(sourcePath), ...(defaults !== undefined ? { defaults } : {}) });
}
