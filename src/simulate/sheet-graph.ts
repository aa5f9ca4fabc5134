import type { Score, ValidationSpec } from '../score/types.js';

/**
 * The sheets of a score after fan-out, in the conductor's order (stage by stage, members in
 * order), with what they depend on. Dependencies are kept per stage: the members of a
 * fan-out share one list, so a wide fan-in costs one list, not one per member.
 */
export interface SheetGraph {
  ids: string[];
  /** Index of each sheet's stage in `score.stages`. */
  stageOf: number[];
  /** Per stage: indices of the sheets every member of it depends on. */
  stageDeps: number[][];
  /** Per stage: the kinds of its validations. */
  validations: Array<ReadonlyArray<ValidationSpec['kind']>>;
  indexOf: Map<string, number>;
}

export function sheetGraph(score: Score): SheetGraph {
  const offsets: number[] = [];
  const ids: string[] = [];
  const stageOf: number[] = [];
  score.stages.forEach((stage, s) => {
    offsets.push(ids.length);
    const size = stage.fanOut ?? 1;
    for (let member = 1; member <= size; member++) {
      ids.push(stage.fanOut === undefined ? stage.id : `${stage.id}.${member}`);
      stageOf.push(s);
    }
  });
  const stageDeps = score.stages.map((stage) => {
    const deps = new Set<number>();
    for (const ref of stage.dependsOn) {
      const target = score.stages[ref.stage]!;
      const offset = offsets[ref.stage]!;
      if (ref.member !== undefined) deps.add(offset + ref.member - 1);
      else for (let i = 0; i < (target.fanOut ?? 1); i++) deps.add(offset + i);
    }
    return [...deps];
  });
  return {
    ids,
    stageOf,
    stageDeps,
    validations: score.stages.map((stage) => stage.validations.map((v) => v.kind)),
    indexOf: new Map(ids.map((id, i) => [id, i])),
  };
}
