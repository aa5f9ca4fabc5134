import type { AttemptsInFlight } from '../attempts/in-flight.js';
import type { Launch } from '../attempts/launch.js';
import type { Clock } from '../clock.js';
import type { Gates } from '../gates/gates.js';
import type { Job } from '../model/job.js';
import { planDispatch, type DispatchPlan, type DispatchView, type JobView } from './plan-dispatch.js';

/** What the dispatcher needs from the conductor that owns it. */
export interface DispatcherHost {
  readonly clock: Clock;
  readonly attempts: AttemptsInFlight;
  readonly gates: Gates;
  readonly jobs: ReadonlyMap<string, Job>;
  /** Every job, in registration order. */
  jobOrder(): readonly Job[];
  shuttingDown(): boolean;
  /** Writes every job's checkpoint. */
  flushAll(): void;
  /** Plans again once `delayMs` has passed (a paced job's next gap). */
  wakeAfter(job: Job, delayMs: number): void;
}

/**
 * The dispatch decision of one turn: a view of every job for the pure `planDispatch` (the
 * conductor actor's guard), then the plan applied (its action), and the pacing timers that
 * bring paced jobs back.
 */
export class Dispatcher {
  /** The last plan taken; read after the turn (buffers at capacity, backlogs to admit). */
  plan: DispatchPlan | undefined = undefined;
  private rotation = 0;

  constructor(
    private readonly host: DispatcherHost,
    private readonly maxConcurrent: number,
  ) {}

  /** Takes the decision; true when it dispatches something. */
  decide(): boolean {
    this.plan = planDispatch(this.view(), { maxConcurrent: this.maxConcurrent });
    return this.plan.dispatch.length > 0;
  }

  /**
   * Marks every planned sheet dispatched, writes the checkpoint, and only then starts the
   * musicians: a crash in between leaves sheets that are `dispatched` on disk and not
   * running anywhere, which a resume puts back to `ready`.
   */
  apply(): void {
    if (this.plan === undefined) return;
    const { attempts, gates, jobs } = this.host;
    const launches: Launch[] = [];
    for (const ref of this.plan.dispatch) {
      const job = jobs.get(ref.jobId)!;
      const launch = attempts.prepare(job, job.sheets[ref.sheet]!);
      const confirmed = gates.started(launch.attempt);
      if (confirmed !== undefined) {
        // A shared slot or probe is confirmed by the coordination backend before the musician plays.
        const assemble = launch.assemble;
        launch.assemble = () => confirmed.then(() => assemble?.() ?? launch.request);
      }
      launches.push(launch);
    }
    this.host.flushAll();
    for (const launch of launches) {
      if (launch.job.checkpointError === undefined) attempts.launch(launch);
    }
  }

  /** A paced job with sheets still ready wakes the conductor when its next gap has passed. */
  schedulePacing(): void {
    const now = this.host.clock.now();
    for (const job of this.host.jobOrder()) {
      if (job.pacingMs <= 0 || job.pacingTimer !== undefined || job.state !== 'running') continue;
      let waiting = false;
      for (const queue of job.readyQueues.values()) if (queue.sheets.size > 0) waiting = true;
      if (!waiting || job.lastDispatchAt === undefined) continue;
      this.host.wakeAfter(job, Math.max(0, job.lastDispatchAt + job.pacingMs - now));
    }
  }

  private view(): DispatchView {
    const { attempts, clock, gates } = this.host;
    return {
      shuttingDown: this.host.shuttingDown(),
      inFlight: attempts.occupancy.total,
      instrumentInFlight: attempts.occupancy.byInstrument,
      modelInFlight: attempts.occupancy.byModel,
      jobs: this.rotatedJobs(),
      gates: gates.blocks,
      now: clock.now(),
      buffers: attempts.buffers.byJob,
    };
  }

  /** Serves jobs from a rotating start so that no job starves the others. */
  private *rotatedJobs(): Generator<JobView> {
    const jobs = this.host.jobOrder();
    const n = jobs.length;
    if (n === 0) return;
    const start = this.rotation++ % n;
    for (let i = 0; i < n; i++) yield jobs[(start + i) % n]!;
  }
}
