import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { renderReport } from '../../observe/report/render.js';
import { readPrompts } from '../../observe/report/prompts.js';
import { reportData } from '../../observe/report/report-data.js';
import type { Score } from '../../score/types.js';
import { CheckpointError } from '../../store/errors.js';
import { isProcessAlive } from '../../store/lock.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { LockInfo } from '../../store/types.js';
import { checkpointFile } from '../checkpoint-file.js';
import { EXIT } from '../exit-codes.js';
import { reportScoreError } from '../score-errors.js';
import { addDefaultsOption, loadScoreForCli, type DefaultsFlags } from '../score-loading.js';

/** Where the report goes without `--out`: beside the checkpoint it is made from. */
function defaultReportFile(score: Score): string {
  return join(score.workspace, 'report.html');
}

export function defineReportCommand(cli: Command): void {
  const command = cli
    .command('report')
    .description('write a self-contained HTML report of the run (timeline, dependencies, summary) from its checkpoint')
    .argument('<score>', 'score file (YAML or JSON)')
    .option('--out <file>', 'where to write the report (default: <workspace>/report.html)');
  addDefaultsOption(command).action(async (score: string, flags: { out?: string } & DefaultsFlags) => {
    process.exitCode = await reportCommand(score, flags);
  });
}

/**
 * `baton report SCORE [--out FILE]`: reads the checkpoint read-only, so it works while
 * another process runs the job as well as after, and writes one HTML file.
 */
async function reportCommand(scorePath: string, flags: { out?: string } & DefaultsFlags): Promise<number> {
  let score: Score;
  try {
    score = await loadScoreForCli(scorePath, flags);
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
  const path = checkpointFile(score);
  let html: string;
  let store: SqliteStore | undefined;
  try {
    store = SqliteStore.open(path, { readonly: true });
    const contents = store.loadAll({ events: true });
    if (contents.job === undefined) {
      process.stderr.write(`${path} holds no job yet: run \`baton run ${scorePath}\` first\n`);
      return EXIT.usage;
    }
    const model = reportData(
      {
        job: contents.job,
        sheets: contents.sheets,
        attempts: contents.attempts,
        events: contents.events ?? [],
        prompts: readPrompts(contents.attempts),
      },
      score,
      { now: Date.now(), live: holderRuns(contents.lock) },
    );
    html = renderReport(model);
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  } finally {
    store?.close();
  }

  const out = resolve(flags.out ?? defaultReportFile(score));
  // Written aside, then renamed: a browser reloading the file never sees half of it.
  const partial = `${out}.${process.pid}.partial`;
  try {
    // Private, like the checkpoint: it quotes the sheets' errors.
    writeFileSync(partial, html, { mode: 0o600 });
    renameSync(partial, out);
  } catch (error) {
    rmSync(partial, { force: true });
    process.stderr.write(`cannot write the report to ${out}: ${(error as Error).message}\n`);
    return EXIT.usage;
  }
  process.stdout.write(`${out}\n`);
  return EXIT.ok;
}

/** A process still holds the job (one on another host cannot be checked, so it counts as running). */
function holderRuns(holder: LockInfo | undefined): boolean {
  if (holder === undefined) return false;
  return holder.host !== hostname() || isProcessAlive(holder.pid);
}
