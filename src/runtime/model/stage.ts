import type { StageSpec } from '../../score/types.js';

/** Dependency bookkeeping for one entry of `sheets:` (all its fan-out members share it). */
export class StageRuntime {
  /** Dependency refs not yet satisfied; the members are released when it reaches 0. */
  unmet: number;
  /** Members completed (or skipped by decision). */
  satisfied = 0;
  /** A dependency ended unsatisfied: every member is (or will be) skipped or failed. */
  doomed = false;
  /** Stages that depend on every member of this one. */
  readonly dependents: StageRuntime[] = [];
  /** Stages that depend on one member of this one, by member number. */
  memberDependents: Map<number, StageRuntime[]> | undefined = undefined;

  constructor(
    readonly spec: StageSpec,
    readonly first: number,
    readonly size: number,
  ) {
    this.unmet = spec.dependsOn.length;
  }

  dependentsOfMember(member: number): readonly StageRuntime[] {
    return this.memberDependents?.get(member) ?? [];
  }
}
