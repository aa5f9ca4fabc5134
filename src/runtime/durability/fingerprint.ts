import type { Score } from '../../score/types.js';
import type { JobFingerprint } from '../../store/types.js';

/** The parts of a score a checkpoint depends on: its sheets and their dependencies. */
export function fingerprintOf(score: Score): JobFingerprint {
  return {
    stages: score.stages.map((stage) => ({
      id: stage.id,
      fanOut: stage.fanOut ?? null,
      dependsOn: stage.dependsOn.map((ref) => ({ stage: score.stages[ref.stage]!.id, member: ref.member ?? null })),
    })),
  };
}

/**
 * Why a score cannot continue a checkpoint: a sheet the checkpoint knows is gone, or a
 * sheet's dependencies changed. Sheets added since are fine; they start pending.
 */
export function incompatibilities(stored: JobFingerprint, score: Score): string[] {
  const current = new Map(fingerprintOf(score).stages.map((s) => [s.id, s]));
  const problems: string[] = [];
  for (const before of stored.stages) {
    const now = current.get(before.id);
    if (now === undefined) {
      problems.push(`sheet "${before.id}" was removed from the score`);
      continue;
    }
    if ((before.fanOut ?? 1) > (now.fanOut ?? 1)) {
      problems.push(`fan-out "${before.id}" shrank from ${before.fanOut ?? 1} to ${now.fanOut ?? 1} members`);
    }
    const key = (deps: JobFingerprint['stages'][number]['dependsOn']) =>
      deps.map((d) => (d.member === null ? d.stage : `${d.stage}.${d.member}`)).sort().join(', ');
    if (key(before.dependsOn) !== key(now.dependsOn)) {
      problems.push(`the dependencies of "${before.id}" changed from [${key(before.dependsOn)}] to [${key(now.dependsOn)}]`);
    }
  }
  return problems;
}
