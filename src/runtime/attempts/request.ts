import type { AttemptRequest, DependencyOutput } from '../../actors/instruments/instrument.js';
import type { SheetContext } from '../../machines/sheet.js';
import { dependencyOutputs } from './dependency-outputs.js';
import { contextScope, promptWithContext, type AssembledContext } from './context.js';
import { outputScanRules } from './outcome-scan.js';
import type { Job } from '../model/job.js';
import type { Template } from '../../score/types.js';
import type { SheetRecord } from '../model/sheet-record.js';
import { renderTemplate, type TemplateScope } from '../../score/template.js';
import type { RenderedValidation } from '../../actors/validations.js';

const NO_DEPS: Record<string, DependencyOutput> = Object.freeze({});

/** 1-based number of the attempt a sheet is about to make, within its mode. */
export function attemptNumber(context: SheetContext): number {
  return context.mode === 'completion' ? context.completionUsed + 1 : context.attempts + 1;
}

/** Everything the instrument needs for this attempt, templates rendered (with `assembled`, once it is read). */
export function attemptRequest(
  job: Job,
  record: SheetRecord,
  context: SheetContext,
  instrument: string,
  model: string | undefined,
  assembled?: AssembledContext,
): AttemptRequest {
  const spec = record.stage.spec;
  const attempt = attemptNumber(context);
  const deps = spec.dependsOn.length === 0 ? NO_DEPS : dependencyOutputs(job, record);
  const fan = { index: record.member, count: record.stage.size };
  const workspace = job.score.workspace;
  const failed = context.mode === 'completion' ? record.failedValidations : [];
  const instrumentSpec = job.score.instruments[instrument];
  const outputScan = instrumentSpec === undefined ? undefined : outputScanRules(instrumentSpec);
  const outputPrefix = `${workspace}/sheets/${record.id}/${context.dispatches}`;
  const promptFile = spec.prompt === undefined ? undefined : `${outputPrefix}${PROMPT_SUFFIX}`;
  let args: string[] = [];
  let prompt: string | undefined;
  if (spec.args.length > 0 || spec.prompt !== undefined) {
    const scope: TemplateScope = {
      sheet: { id: record.id, attempt, run: context.dispatches, mode: context.mode },
      fan,
      workspace,
      ...(model !== undefined ? { model } : {}),
      vars: spec.vars,
      deps,
      validations: { failed },
      ...contextScope(assembled),
      ...(promptFile !== undefined && instrumentSpec?.kind === 'command' && instrumentSpec.promptVia === 'file' && { prompt_file: promptFile }),
    };
    args = spec.args.map((template) => renderTemplate(template, scope));
    if (spec.prompt !== undefined) prompt = promptWithContext(renderPrompt(spec.prompt, scope), spec.prompt, assembled);
  }
  return {
    jobId: job.jobId,
    sheetId: record.id,
    attempt,
    run: context.dispatches,
    mode: context.mode,
    fan,
    workspace,
    ...(model !== undefined ? { model } : {}),
    vars: spec.vars,
    deps,
    args,
    ...(prompt !== undefined && { prompt }),
    ...(assembled !== undefined && spec.context !== undefined && { context: assembled.items }),
    outputPrefix,
    ...(failed.length > 0 ? { failedValidations: failed } : {}),
    ...(outputScan !== undefined ? { outputScan } : {}),
  };
}

/** The prompt file beside an attempt's `<n>.stdout` and `<n>.stderr`. */
const PROMPT_SUFFIX = '.prompt';

/** A sheet's prompt for one attempt: its template rendered with the scope of the attempt's args. */
export function renderPrompt(template: Template, scope: TemplateScope): string {
  return renderTemplate(template, scope);
}

/** A sheet's validations with their templates rendered for the attempt that just ran. */
export function renderValidations(job: Job, record: SheetRecord, request: AttemptRequest): RenderedValidation[] {
  const scope: TemplateScope = {
    sheet: { id: record.id, attempt: request.attempt, run: request.run, mode: request.mode },
    fan: request.fan,
    workspace: request.workspace,
    ...(request.model !== undefined ? { model: request.model } : {}),
    vars: request.vars,
    deps: request.deps,
  };
  return record.stage.spec.validations.map((v): RenderedValidation => {
    switch (v.kind) {
      case 'file_exists':
        return { kind: 'file_exists', path: renderTemplate(v.path, scope) };
      case 'file_matches':
        return { kind: 'file_matches', path: renderTemplate(v.path, scope), pattern: v.pattern };
      case 'command_succeeds':
        return { kind: 'command_succeeds', argv: v.argv.map((t) => renderTemplate(t, scope)) };
    }
  });
}
