import { Conductor } from '../../runtime/conductor.js';
import { CheckpointEmptyError, CheckpointNotEmptyError, IncompatibleCheckpointError, WorkspaceError } from '../../runtime/errors.js';
import type { Score } from '../../score/types.js';
import { CheckpointError } from '../../store/errors.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { CheckpointStore } from '../../store/types.js';
import { checkpointFile, freshCheckpoint, UnfinishedRunError } from '../checkpoint-file.js';
import { openCoordinationForCli, reportCoordination, type CoordinationFlags } from '../coordination.js';
import { EXIT, exitCodeFor } from '../exit-codes.js';
import { KEPT_RUNS } from '../run-archive.js';
import { openInspectWs } from '../inspect-ws.js';
import { serveMetricsIfAsked } from '../metrics-server.js';
import { showProgress } from '../progress.js';
import { reportScoreError } from '../score-errors.js';
import { loadScoreForCli, type DefaultsFlags } from '../score-loading.js';
import { jsonSummary, textSummary } from '../summary.js';

export interface RunFlags extends DefaultsFlags, CoordinationFlags {
  concurrency?: number;
  json?: boolean;
  quiet?: boolean;
  /** Serve `/metrics` on 127.0.0.1 at this port (0: any free port) while the job runs. */
  metricsPort?: number;
  /** After the job, keep serving metrics until one more scrape or this many ms. */
  metricsLinger?: number;
  /** Serve the XState inspection on ws://127.0.0.1 at this port (0: any free port). */
  inspectWs?: number;
}

export interface ResumeFlags extends RunFlags {
  force?: boolean;
}

/** Errors about the checkpoint file, its lock or the workspace: the user's to fix, printed as one message. */
function isCheckpointProblem(error: unknown): error is Error {
  return (
    error instanceof CheckpointError ||
    error instanceof UnfinishedRunError ||
    error instanceof IncompatibleCheckpointError ||
    error instanceof CheckpointEmptyError ||
    error instanceof CheckpointNotEmptyError ||
    error instanceof WorkspaceError
  );
}

async function loadOrReport(scorePath: string, flags: RunFlags): Promise<Score | number> {
  try {
    const score = await loadScoreForCli(scorePath, flags);
    return flags.concurrency === undefined ? score : { ...score, concurrency: flags.concurrency };
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
}

export async function runCommand(scorePath: string, flags: RunFlags): Promise<number> {
  const score = await loadOrReport(scorePath, flags);
  if (typeof score === 'number') return score;
  return perform(scorePath, score.budgetUsd, flags, (conductor) => {
    const { store, archived } = freshCheckpoint(score, scorePath, new Date());
    if (archived !== undefined && !flags.quiet) {
      process.stderr.write(`baton: the previous run is kept in ${archived} (the last ${KEPT_RUNS} runs are kept)\n`);
    }
    try {
      return { store, jobId: conductor.register(score, { store }) };
    } catch (error) {
      store.close();
      throw error;
    }
  });
}

export async function resumeCommand(scorePath: string, flags: ResumeFlags): Promise<number> {
  const score = await loadOrReport(scorePath, flags);
  if (typeof score === 'number') return score;
  return perform(scorePath, score.budgetUsd, flags, (conductor) => {
    const store = SqliteStore.open(checkpointFile(score), { create: false });
    try {
      const jobId = conductor.restore(score, { store, force: flags.force === true });
      // `baton resume` is the user saying "go on": their own pause ends here.
      conductor.resume(jobId, 'user');
      return { store, jobId };
    } catch (error) {
      store.close();
      throw error;
    }
  });
}

/** Runs a job to its end (or to a stop) with progress, a summary and the exit status. */
async function perform(
  scorePath: string,
  budgetUsd: number | undefined,
  flags: RunFlags,
  start: (conductor: Conductor) => { store: CheckpointStore; jobId: string },
): Promise<number> {
  const inspection = flags.inspectWs === undefined ? undefined : await openInspectWs(flags.inspectWs, process.stderr);
  if (inspection === null) return EXIT.usage;
  const backend = await openCoordinationForCli(flags, process.stderr);
  if (backend === null) {
    await inspection?.close();
    return EXIT.usage;
  }
  const conductor = new Conductor({
    ...(inspection && { inspect: inspection.inspect }),
    ...(backend && { coordination: { backend, ...(flags.coordinateLease !== undefined && { leaseMs: flags.coordinateLease }) } }),
  });
  if (backend !== undefined) reportCoordination(conductor, process.stderr);
  const stopAll = async (): Promise<void> => {
    await conductor.shutdown();
    await inspection?.close();
    await backend?.close().catch(() => undefined);
  };
  const metrics = await serveMetricsIfAsked(conductor, flags, process.stderr);
  if (typeof metrics === 'number') {
    await stopAll();
    return metrics;
  }
  let jobId = '';
  const progress = flags.quiet
    ? undefined
    : showProgress({ conductor, jobId: () => jobId, out: process.stderr, live: process.stderr.isTTY === true });
  let store: CheckpointStore;
  try {
    ({ store, jobId } = start(conductor));
  } catch (error) {
    await stopAll();
    await metrics.close(0);
    if (!isCheckpointProblem(error)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }

  // A stop keeps everything resumable: running attempts are killed and return to `ready`.
  let stopped = false;
  const onSignal = (): void => {
    if (stopped) return;
    stopped = true;
    // Below the live display's last frame, where no redraw reaches it.
    progress?.stopRedrawing();
    process.stderr.write(`\nbaton: stopping; continue later with \`baton resume ${scorePath}\`\n`);
    void conductor.shutdown();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const result = await conductor.waitForCompletion(jobId);
  await stopAll();
  await progress?.finished;
  await metrics.recorded();
  store.close();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  if (flags.json) process.stdout.write(`${JSON.stringify(jsonSummary(result), null, 2)}\n`);
  else if (!flags.quiet) process.stdout.write(`${textSummary(result, { scorePath, ...(budgetUsd !== undefined && { budgetUsd }) })}\n`);
  await metrics.close(stopped ? 0 : (flags.metricsLinger ?? 0));
  return stopped ? EXIT.interrupted : exitCodeFor(result.outcome);
}

export { isCheckpointProblem };
