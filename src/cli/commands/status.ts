import { hostname } from 'node:os';
import { SHEET_STATES, type SheetState } from '../../machines/types.js';
import { CheckpointError } from '../../store/errors.js';
import { BUILT_IN_GATES } from '../../runtime/gates/built-in.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { JobRow, LockInfo, SheetRow } from '../../store/types.js';
import { checkpointFile } from '../checkpoint-file.js';
import { EXIT } from '../exit-codes.js';
import { batonCommand, decideCommandFor } from '../next-command.js';
import { reportScoreError } from '../score-errors.js';
import { loadScoreForCli, type DefaultsFlags } from '../score-loading.js';

/** Whether the process holding the lock still runs (only knowable on this host). */
function holderAlive(holder: LockInfo): boolean | undefined {
  if (holder.host !== hostname()) return undefined;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `baton status SCORE`: every sheet's state from the checkpoint, while the job runs or after. */
export async function statusCommand(scorePath: string, flags: { json?: boolean } & DefaultsFlags): Promise<number> {
  let path: string;
  try {
    path = checkpointFile(await loadScoreForCli(scorePath, flags));
  } catch (error) {
    return reportScoreError(error, process.stderr);
  }
  let store: SqliteStore;
  try {
    store = SqliteStore.open(path, { readonly: true });
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT.usage;
  }
  try {
    const job = store.loadJob();
    if (job === undefined) {
      process.stderr.write(`${path} holds no job yet\n`);
      return EXIT.usage;
    }
    const sheets = store.loadSheets();
    const holder = store.lockHolder();
    const alive = holder === undefined ? false : holderAlive(holder);
    const counts = Object.fromEntries(SHEET_STATES.map((s) => [s, 0])) as Record<SheetState, number>;
    let cost = 0;
    for (const sheet of sheets) {
      counts[sheet.state]++;
      cost += sheet.costUsd;
    }
    const running = holder !== undefined && alive !== false ? { pid: holder.pid, host: holder.host, since: holder.acquiredAt } : null;
    // `baton decide` resolves fermatas in the checkpoint; the held outcome is over once none is left.
    const outcome = job.outcome === 'held' && counts.fermata === 0 ? null : job.outcome;
    const now = Date.now();
    // What each gate (rate limits, breakers) had in force when the checkpoint was written.
    const gates = BUILT_IN_GATES.map((kind) => ({ name: kind.name, ...kind.status(job.policies?.[kind.name], now) }));
    if (flags.json) {
      const document = {
        job: job.name,
        jobId: job.jobId,
        state: job.state,
        outcome,
        pauseReasons: job.pauseReasons,
        running,
        updatedAt: job.updatedAt,
        costUsd: cost,
        counts,
        ...Object.fromEntries(gates.map((gate) => [gate.name, gate.json])),
        sheets: sheets.map((s) => sheetJson(s)),
      };
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return EXIT.ok;
    }
    const where = running
      ? `running in process ${running.pid} on ${running.host} since ${new Date(running.since).toISOString()}`
      : `not running (last checkpoint ${new Date(job.updatedAt).toISOString()})`;
    const decided = job.outcome === 'held' && outcome === null;
    const lines = [
      `${job.name}: ${decided ? 'every fermata decided' : (outcome ?? job.state)}, ${where}`,
      SHEET_STATES.filter((s) => counts[s] > 0).map((s) => `${s} ${counts[s]}`).join(' · ') + (cost > 0 ? ` · cost $${cost.toFixed(4)}` : ''),
      ...gates.flatMap((gate) => gate.lines),
      ...sheets.map(
        (s) =>
          `  ${s.id.padEnd(24)} ${s.state.padEnd(10)} attempts ${String(attemptsOf(s)).padStart(2)}` +
          (s.rateLimited > 0 ? `  rate-limited ${s.rateLimited}` : '') +
          (s.interrupted > 0 ? `  interrupted ${s.interrupted}` : '') +
          (s.costUsd > 0 ? `  $${s.costUsd.toFixed(4)}` : '') +
          (s.lastError && s.state !== 'completed' ? `  ${s.lastError}` : ''),
      ),
    ];
    if (!running) lines.push(...nextSteps(scorePath, job, sheets, decided));
    process.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    store.close();
  }
}

/** Runs that used the sheet's attempts: neither rate-limited nor cut short by a stop or crash. */
const attemptsOf = (s: SheetRow): number => s.dispatches - s.rateLimited - s.interrupted;

function sheetJson(s: SheetRow): Record<string, unknown> {
  return {
    id: s.id,
    state: s.state,
    attempts: attemptsOf(s),
    rateLimited: s.rateLimited,
    interrupted: s.interrupted,
    costUsd: s.costUsd,
    ...(s.lastError !== null ? { lastError: s.lastError } : {}),
    ...(s.reason !== null ? { reason: s.reason } : {}),
  };
}

/** For a job that stopped short of its end, the command that goes on. */
function nextSteps(scorePath: string, job: JobRow, sheets: readonly SheetRow[], decided: boolean): string[] {
  const resume = batonCommand('resume', scorePath);
  if (decided) return [`next: ${resume}`];
  if (job.outcome === 'held') {
    const decide = sheets.filter((s) => s.state === 'fermata').map((s) => `next: ${decideCommandFor(scorePath, s.id)}`);
    return [...decide, `then: ${resume}`];
  }
  if (job.outcome === 'paused' && job.pauseReasons.includes('budget')) return [`next: raise budget_usd in the score and run ${resume}`];
  if (job.outcome === 'paused' || job.outcome === 'interrupted') return [`next: ${resume}`];
  return [];
}
