import type { ScoreProblem } from './errors.js';
import type { StageIndex } from './graph.js';
import type { SheetData } from './schema.js';
import { TemplateError, compileTemplate, dependencyOf, varOf } from './template.js';
import type { DependencyRef, InstrumentSpec, StageSpec, Template, ValidationSpec } from './types.js';

/** The template name listing the validations that failed after the previous attempt. */
const FAILED_VALIDATIONS = 'validations.failed';

/** What a stage's templates may name, once every stage and dependency is resolved. */
export interface TemplateContext {
  stages: readonly StageSpec[];
  index: StageIndex;
  instruments: Record<string, InstrumentSpec>;
  /** The stage's depends_on had an unknown entry: `deps.*` names are not checked. */
  dependenciesUnresolved: boolean;
}

/** Compiles the `args` and `validations` of one stage into it, reporting every bad name. */
export function compileStageTemplates(
  sheet: SheetData,
  stage: StageSpec,
  context: TemplateContext,
  problems: ScoreProblem[],
): void {
  const at = `sheets[${stage.index}]`;
  const inArgs = (name: string) => nameProblem(name, stage, context);
  // A validation checks the attempt that just ran: the failures of the one before are no input to it.
  const inValidations = (name: string) =>
    name === FAILED_VALIDATIONS ? `template name "${name}" is only available in args, not in validations` : inArgs(name);
  const compile = (source: string, path: string, allowed = inArgs): Template => {
    try {
      return compileTemplate(source, allowed);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      for (const message of e.problems) problems.push({ path, message });
      return { source, parts: [source] };
    }
  };
  stage.args = (sheet.args ?? []).map((arg, j) => compile(String(arg), `${at}.args[${j}]`));
  stage.validations = (sheet.validations ?? []).map((v, k): ValidationSpec => {
    const vat = `${at}.validations[${k}]`;
    if (v.file_exists !== undefined) {
      return { kind: 'file_exists', path: compile(v.file_exists, `${vat}.file_exists`, inValidations) };
    }
    if (v.file_matches !== undefined) {
      return {
        kind: 'file_matches',
        path: compile(v.file_matches.path, `${vat}.file_matches.path`, inValidations),
        pattern: v.file_matches.pattern,
      };
    }
    const argv = v.command_succeeds ?? [];
    return {
      kind: 'command_succeeds',
      argv: argv.map((a, m) => compile(String(a), `${vat}.command_succeeds[${m}]`, inValidations)),
    };
  });
}

function nameProblem(name: string, stage: StageSpec, context: TemplateContext): string | null {
  if (name === 'model') {
    return stage.model === undefined
      ? 'template name "model" needs a model: set model on the sheet or in defaults'
      : null;
  }
  const variable = varOf(name);
  if (variable !== undefined) {
    return Object.hasOwn(stage.vars, variable)
      ? null
      : `unknown template name "${name}": no var "${variable}" in the sheet's or the defaults' vars`;
  }
  const dependency = dependencyOf(name);
  if (dependency !== undefined && !context.dependenciesUnresolved) {
    return dependencyProblem(name, dependency, stage, context);
  }
  return null;
}

function dependencyProblem(name: string, id: string, stage: StageSpec, context: TemplateContext): string | null {
  const ref = context.index.resolve(id);
  if (ref === undefined) return `unknown template name "${name}": no sheet "${id}"`;
  const target = context.stages[ref.stage]!;
  if (ref.member === undefined && target.fanOut !== undefined) {
    return `template name "${name}" names the whole fan-out "${id}" (${target.fanOut} sheets): name one member, e.g. deps.${id}.1.output_file`;
  }
  if (!stage.dependsOn.some((r) => covers(r, ref))) {
    return `unknown template name "${name}": "${id}" is not a direct dependency of this sheet (add it to depends_on)`;
  }
  const instrument = context.instruments[target.instrument];
  if (instrument?.kind === 'function') {
    return `template name "${name}": "${id}" runs on function instrument "${instrument.name}", which captures no output file`;
  }
  return null;
}

function covers(dependency: DependencyRef, ref: DependencyRef): boolean {
  return dependency.stage === ref.stage && (dependency.member === undefined || dependency.member === ref.member);
}
