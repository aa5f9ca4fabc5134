import type { DependencyOutput } from '../../actors/instruments/instrument.js';
import type { Job } from '../model/job.js';
import type { SheetRecord } from '../model/sheet-record.js';
import type { DependencyRef } from '../../score/types.js';

/**
 * The outputs of a sheet's direct dependencies, by sheet id. Built lazily: a sheet that
 * depends on a fan-out of 1,000 members gets a view, not a 1,000-entry object per attempt.
 */
export function dependencyOutputs(job: Job, record: SheetRecord): Record<string, DependencyOutput> {
  const refs = record.stage.spec.dependsOn;
  const lookup = (id: string): DependencyOutput | undefined => {
    const dep = job.byId.get(id);
    if (dep === undefined) return undefined;
    const direct = refs.some(
      (ref) => ref.stage === dep.stage.spec.index && (ref.member === undefined || ref.member === dep.member),
    );
    if (!direct) return undefined;
    const output: DependencyOutput = {};
    if (dep.outputFile !== undefined) output.output_file = dep.outputFile;
    if (dep.output !== undefined) output.output = dep.output;
    return output;
  };
  const ids = (): string[] => directDependencies(job, refs).map((dep) => dep.id);
  return new Proxy({} as Record<string, DependencyOutput>, {
    get: (_, key) => (typeof key === 'string' ? lookup(key) : undefined),
    has: (_, key) => typeof key === 'string' && lookup(key) !== undefined,
    ownKeys: () => ids(),
    getOwnPropertyDescriptor: (_, key) => {
      const value = typeof key === 'string' ? lookup(key) : undefined;
      return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
    },
  });
}

/** The sheets `refs` name, once each: in the order of `refs` (depends_on), a fan-out's members by index. */
export function directDependencies(job: Job, refs: readonly DependencyRef[]): SheetRecord[] {
  const out = new Set<SheetRecord>();
  for (const ref of refs) {
    const stage = job.stages[ref.stage]!;
    if (ref.member !== undefined) out.add(job.sheets[stage.first + ref.member - 1]!);
    else for (let i = 0; i < stage.size; i++) out.add(job.sheets[stage.first + i]!);
  }
  return [...out];
}
