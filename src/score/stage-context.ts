import type { ScoreProblem } from './errors.js';
import type { SheetData } from './schema.js';
import { sizeBytes } from './size.js';
import type { TemplateContext } from './stage-templates.js';
import type { ContextSpec, DependencyRef, StageSpec, Template } from './types.js';

/** The sizes a sheet's `context` (and `{{deps.ID.output}}`) gets when it sets none. */
export const CONTEXT_DEFAULTS = { maxBytes: 64 * 1024, totalMaxBytes: 512 * 1024 } as const;

/**
 * Resolves the `context` of one entry of `sheets:` into its stage, once its dependencies are
 * known: `deps` becomes the dependency refs it names, each checked to be a direct dependency.
 */
export function compileStageContext(
  sheet: SheetData,
  stage: StageSpec,
  context: TemplateContext,
  problems: ScoreProblem[],
): void {
  const given = sheet.context;
  if (given === undefined) return;
  const at = `sheets[${stage.index}].context`;
  const deps: DependencyRef[] = [];
  if (given.deps === true) {
    if (stage.dependsOn.length === 0 && !context.dependenciesUnresolved) {
      problems.push({ path: `${at}.deps`, message: 'the sheet has no dependencies: add depends_on, or drop deps' });
    }
    deps.push(...stage.dependsOn);
  } else if (Array.isArray(given.deps) && !context.dependenciesUnresolved) {
    given.deps.forEach((id, k) => {
      const ref = context.index.resolve(id);
      if (ref === undefined) {
        problems.push({ path: `${at}.deps[${k}]`, message: context.index.explainUnknown(id) });
      } else if (!stage.dependsOn.some((d) => d.stage === ref.stage && (d.member === undefined || d.member === ref.member))) {
        problems.push({ path: `${at}.deps[${k}]`, message: `"${id}" is not a direct dependency of this sheet (add it to depends_on)` });
      } else {
        deps.push(ref);
      }
    });
  }
  const spec: ContextSpec = {
    deps,
    files: given.files ?? [],
    maxBytes: given.max_bytes === undefined ? CONTEXT_DEFAULTS.maxBytes : sizeBytes(given.max_bytes)!,
    totalMaxBytes: given.total_max_bytes === undefined ? CONTEXT_DEFAULTS.totalMaxBytes : sizeBytes(given.total_max_bytes)!,
  };
  stage.context = spec;
}

/**
 * A command's program sees the context only through its prompt (where it is appended when the
 * prompt does not place it) or `{{context}}` in args; a context with neither would vanish.
 */
export function checkContextReaches(stage: StageSpec, context: TemplateContext, problems: ScoreProblem[]): void {
  if (stage.context === undefined || stage.prompt !== undefined) return;
  if (context.instruments[stage.instrument]?.kind !== 'command') return;
  if (stage.args.some(namesContext)) return;
  problems.push({
    path: `sheets[${stage.index}].context`,
    message: 'the context reaches no program: give the sheet a prompt (the context is appended to it) or put {{context}} in args',
  });
}

/** Whether a compiled template names `{{context}}`. */
export function namesContext(template: Template): boolean {
  return template.parts.some((part) => typeof part !== 'string' && part.name === 'context');
}
