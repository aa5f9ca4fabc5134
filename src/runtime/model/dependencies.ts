import type { SheetInput } from '../../machines/sheet.js';
import { TERMINAL_STATES } from '../../machines/types.js';
import type { Job } from './job.js';
import type { SheetRecord } from './sheet-record.js';
import type { StageRuntime } from './stage.js';

/**
 * Dependency bookkeeping works per stage (an entry of `sheets:`), never per edge between
 * members: a fan-out of 1,000 depending on another of 1,000 is one counter, not 1,000,000.
 */

/** Counts a sheet as satisfied; returns the stages whose dependencies are now all met. */
export function satisfy(record: SheetRecord): StageRuntime[] {
  const stage = record.stage;
  stage.satisfied++;
  const released: StageRuntime[] = [];
  const met = (dependent: StageRuntime): void => {
    dependent.unmet--;
    if (dependent.unmet === 0 && !dependent.doomed) released.push(dependent);
  };
  for (const dependent of stage.dependentsOfMember(record.member)) met(dependent);
  if (stage.satisfied === stage.size) for (const dependent of stage.dependents) met(dependent);
  return released;
}

/**
 * The sheets a sheet that ended unsatisfied takes down with it: exactly its transitive
 * dependents, each ending as its own `on_dependency_failure` says.
 */
export function doomedBy(job: Job, record: SheetRecord): Generator<Doomed> {
  return doomFrom(job, [...record.stage.dependentsOfMember(record.member), ...record.stage.dependents]);
}

/** A stage found doomed on restore: its pending members and their dependents. */
export function doomedStage(job: Job, stage: StageRuntime): Generator<Doomed> {
  stage.doomed = false;
  return doomFrom(job, [stage]);
}

type Doomed = { record: SheetRecord; state: 'skipped' | 'failed' };

function* doomFrom(job: Job, work: StageRuntime[]): Generator<Doomed> {
  while (work.length > 0) {
    const stage = work.pop()!;
    if (stage.doomed) continue;
    stage.doomed = true;
    const state = stage.spec.onDependencyFailure === 'skip' ? 'skipped' : 'failed';
    for (let i = stage.first; i < stage.first + stage.size; i++) {
      const member = job.sheets[i]!;
      if (member.state !== 'pending') continue;
      yield { record: member, state };
      work.push(...stage.dependentsOfMember(member.member));
    }
    work.push(...stage.dependents);
  }
}

/** What every sheet actor of a stage starts from. */
export function sheetInput(job: Job, stage: StageRuntime): SheetInput {
  const spec = stage.spec;
  return {
    maxAttempts: 1 + spec.retries,
    completionAttempts: spec.completionAttempts,
    heal: spec.heal,
    escalate: spec.escalate,
    fallbacks: job.score.instruments[spec.instrument]?.fallback.length ?? 0,
    backoff: spec.backoff,
  };
}

/** Rebuilds every stage's counters from its members' states; returns the stages to release. */
export function recountStages(job: Job): StageRuntime[] {
  const satisfied = (r: SheetRecord) => r.state === 'completed' || (r.state === 'skipped' && r.skippedByDecision);
  const unsatisfied = (r: SheetRecord) => TERMINAL_STATES.has(r.state) && !satisfied(r);
  for (const stage of job.stages) {
    stage.satisfied = 0;
    for (let i = stage.first; i < stage.first + stage.size; i++) if (satisfied(job.sheets[i]!)) stage.satisfied++;
  }
  const release: StageRuntime[] = [];
  for (const stage of job.stages) {
    let unmet = 0;
    let doomed = false;
    for (const ref of stage.spec.dependsOn) {
      const target = job.stages[ref.stage]!;
      if (ref.member !== undefined) {
        const member = job.sheets[target.first + ref.member - 1]!;
        if (!satisfied(member)) unmet++;
        if (unsatisfied(member)) doomed = true;
      } else {
        if (target.satisfied < target.size) unmet++;
        for (let i = target.first; i < target.first + target.size; i++) if (unsatisfied(job.sheets[i]!)) doomed = true;
      }
    }
    stage.unmet = unmet;
    stage.doomed = doomed;
    if (unmet === 0 && !doomed) release.push(stage);
  }
  return release;
}
