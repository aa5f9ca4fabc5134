import type { AttemptRequest, DependencyOutput } from '../actors/instrument.js';
import type { SheetContext } from '../machines/sheet.js';
import { dependencyOutputs } from './dependency-outputs.js';
import type { Job, SheetRecord } from './job.js';
import { renderTemplate } from './score/template.js';

const NO_DEPS: Record<string, DependencyOutput> = Object.freeze({});

/** 1-based number of the attempt a sheet is about to make, within its mode. */
export function attemptNumber(context: SheetContext): number {
  return context.mode === 'completion' ? context.completionUsed + 1 : context.attempts + 1;
}

/** Everything the instrument needs for this attempt, templates rendered. */
export function attemptRequest(
  job: Job,
  record: SheetRecord,
  context: SheetContext,
  model: string | undefined,
): AttemptRequest {
  const spec = record.stage.spec;
  const attempt = attemptNumber(context);
  const deps = spec.dependsOn.length === 0 ? NO_DEPS : dependencyOutputs(job, record);
  const fan = { index: record.member, count: record.stage.size };
  const workspace = job.score.workspace;
  const args =
    spec.args.length === 0
      ? []
      : spec.args.map((template) =>
          renderTemplate(template, {
            sheet: { id: record.id, attempt, mode: context.mode },
            fan,
            workspace,
            ...(model !== undefined ? { model } : {}),
            vars: spec.vars,
            deps,
          }),
        );
  return {
    jobId: job.jobId,
    sheetId: record.id,
    attempt,
    mode: context.mode,
    fan,
    workspace,
    ...(model !== undefined ? { model } : {}),
    vars: spec.vars,
    deps,
    args,
    outputPrefix: `${workspace}/sheets/${record.id}/${context.dispatches}`,
  };
}
