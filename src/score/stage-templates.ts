import { pathOf } from './defaults/resolve.js';
import type { ScoreProblem } from './errors.js';
import type { StageIndex } from './graph.js';
import type { SheetData } from './schema.js';
import { TemplateError, compileTemplate, dependencyOf, dependencyOutputOf, varOf } from './template.js';
import type { DependencyRef, InstrumentSpec, StageSpec, Template, ValidationSpec } from './types.js';

/** The template name listing the validations that failed after the previous attempt. */
const FAILED_VALIDATIONS = 'validations.failed';
/** The template name of the file a prompt is written to, for an instrument with `prompt_via: file`. */
const PROMPT_FILE = 'prompt_file';
/** The template name of the sheet's assembled cross-sheet context. */
const CONTEXT = 'context';

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
  const inArgs = (name: string) =>
    name === PROMPT_FILE ? promptFileProblem(stage, context) : nameProblem(name, stage, context);
  const onlyInArgs = (name: string, where: string) => `template name "${name}" is only available in args, not in ${where}`;
  // A validation checks the attempt that just ran: the failures of the one before are no input to it.
  const inValidations = (name: string) =>
    name === FAILED_VALIDATIONS || name === PROMPT_FILE ? onlyInArgs(name, 'validations') : (readAtDispatch(name) ?? inArgs(name));
  // The prompt is what the prompt file holds: it cannot name that file.
  const inPrompt = (name: string) => (name === PROMPT_FILE ? onlyInArgs(name, 'the prompt') : inArgs(name));
  const compile = (source: string, path: string, allowed = inArgs): Template => {
    try {
      return compileTemplate(source, allowed);
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      for (const message of e.problems) {
        // A prompt from the defaults is compiled for every sheet: its problems are said once.
        if (!problems.some((p) => p.path === path && p.message === message)) problems.push({ path, message });
      }
      return { source, parts: [source] };
    }
  };
  stage.args = (sheet.args ?? []).map((arg, j) => compile(String(arg), `${at}.args[${j}]`));
  if (stage.prompt !== undefined) {
    const source = stage.sources?.prompt ?? { kind: 'sheet' };
    stage.prompt = compile(stage.prompt.source, pathOf(source, 'prompt', at), inPrompt);
  }
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

function promptFileProblem(stage: StageSpec, context: TemplateContext): string | null {
  const instrument = context.instruments[stage.instrument];
  if (instrument === undefined) return null;
  if (instrument.kind !== 'command' || instrument.promptVia !== 'file') {
    return `template name "${PROMPT_FILE}" needs an instrument with prompt_via: file ("${instrument.name}" ${
      instrument.kind === 'command' ? `gives the prompt by ${instrument.promptVia}` : 'is a function instrument: it gets ctx.prompt'
    })`;
  }
  return stage.prompt === undefined ? `template name "${PROMPT_FILE}" needs a prompt: set prompt on the sheet or in defaults` : null;
}

// Outputs and files are read before an attempt starts; a validation is rendered after it ends, from what it was given.
function readAtDispatch(name: string): string | null {
  return name === CONTEXT || dependencyOutputOf(name) !== undefined
    ? `template name "${name}" is only available in args and the prompt, not in validations`
    : null;
}

function nameProblem(name: string, stage: StageSpec, context: TemplateContext): string | null {
  if (name === CONTEXT) {
    return stage.context === undefined ? `template name "${CONTEXT}" needs a context: set context on the sheet` : null;
  }
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
  const output = dependencyOutputOf(name);
  if (output !== undefined && !context.dependenciesUnresolved) {
    return directDependencyProblem(name, output, stage, context, 'output');
  }
  return null;
}

function dependencyProblem(name: string, id: string, stage: StageSpec, context: TemplateContext): string | null {
  const problem = directDependencyProblem(name, id, stage, context, 'output_file');
  if (problem !== null) return problem;
  const target = context.stages[context.index.resolve(id)!.stage]!;
  const instrument = context.instruments[target.instrument];
  if (instrument?.kind === 'function') {
    return `template name "${name}": "${id}" runs on function instrument "${instrument.name}", which captures no output file`;
  }
  return null;
}

/** Why `id` in `name` is not one direct dependency of the stage, or null. */
function directDependencyProblem(
  name: string,
  id: string,
  stage: StageSpec,
  context: TemplateContext,
  field: 'output' | 'output_file',
): string | null {
  const ref = context.index.resolve(id);
  if (ref === undefined) return `unknown template name "${name}": no sheet "${id}"`;
  const target = context.stages[ref.stage]!;
  if (ref.member === undefined && target.fanOut !== undefined) {
    return `template name "${name}" names the whole fan-out "${id}" (${target.fanOut} sheets): name one member, e.g. deps.${id}.1.${field}`;
  }
  if (!stage.dependsOn.some((r) => covers(r, ref))) {
    return `unknown template name "${name}": "${id}" is not a direct dependency of this sheet (add it to depends_on)`;
  }
  return null;
}

function covers(dependency: DependencyRef, ref: DependencyRef): boolean {
  return dependency.stage === ref.stage && (dependency.member === undefined || dependency.member === ref.member);
}
