import type { Template } from './types.js';

/** The values a template can name, supplied at every dispatch. */
export interface TemplateScope {
  /**
   * `attempt` counts within the attempt's mode (see `sheet.attempt` in docs/score.md) and
   * repeats; `run` counts every dispatch of the sheet and never does.
   */
  sheet: { id: string; attempt: number; run: number; mode: string };
  /** `{ index: 1, count: 1 }` for a sheet that is not a fan-out member. */
  fan: { index: number; count: number };
  /** Absolute. */
  workspace: string;
  model?: string;
  vars: Record<string, string>;
  deps: Record<string, { output_file?: string }>;
  /**
   * The validations that failed after the previous attempt (their descriptions), for an
   * attempt in completion mode. Absent (or empty) in normal mode: nothing failed yet.
   */
  validations?: { failed: string[] };
  /** Absolute path of the attempt's prompt file, for an instrument with `prompt_via: file`. */
  prompt_file?: string;
  /** The sheet's assembled cross-sheet context, for `{{context}}`. */
  context?: string;
  /** The text of each dependency's output named by `{{deps.ID.output}}`, by sheet id. */
  outputs?: Record<string, string>;
}

/** The names a template may use; `NAME` and `ID` stand for a var and a dependency. */
export const TEMPLATE_NAMES = [
  'sheet.id',
  'sheet.attempt',
  'sheet.run',
  'sheet.mode',
  'fan.index',
  'fan.count',
  'workspace',
  'model',
  'validations.failed',
  'prompt_file',
  'vars.NAME',
  'deps.ID.output_file',
  'context',
  'deps.ID.output',
] as const;

const VARS = 'vars.';
const DEPS = 'deps.';
const OUTPUT_FILE = '.output_file';
const OUTPUT = '.output';
/** `validations.failed`: the failed validations' descriptions joined with this. */
const FAILED_VALIDATIONS_SEPARATOR = '; ';
const FIXED_NAMES: ReadonlySet<string> = new Set(
  TEMPLATE_NAMES.filter((name) => !name.startsWith(VARS) && !name.startsWith(DEPS)),
);

/** A template that cannot be compiled; each entry of `problems` is one message. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** The var a `vars.NAME` reference names, or undefined for any other name. */
export function varOf(name: string): string | undefined {
  return name.startsWith(VARS) ? name.slice(VARS.length) : undefined;
}

/** The sheet id a `deps.ID.output_file` reference names, or undefined for any other name. */
export function dependencyOf(name: string): string | undefined {
  return name.startsWith(DEPS) && name.endsWith(OUTPUT_FILE)
    ? name.slice(DEPS.length, name.length - OUTPUT_FILE.length)
    : undefined;
}

/** The sheet id a `deps.ID.output` reference names, or undefined for any other name. */
export function dependencyOutputOf(name: string): string | undefined {
  return name.startsWith(DEPS) && name.endsWith(OUTPUT) ? name.slice(DEPS.length, name.length - OUTPUT.length) : undefined;
}

/** Why `name` is not a template name in any score, or null if it has a known form. */
export function templateNameProblem(name: string): string | null {
  if (name === '') return 'empty template name "{{}}"';
  if (FIXED_NAMES.has(name)) return null;
  const variable = varOf(name);
  if (variable !== undefined && variable !== '') return null;
  const dependency = dependencyOf(name);
  if (dependency !== undefined && dependency !== '') return null;
  const output = dependencyOutputOf(name);
  if (output !== undefined && output !== '') return null;
  if (name.startsWith(DEPS)) {
    return `unknown template name "${name}": a dependency's output is named deps.ID.output (its text) or deps.ID.output_file (its file)`;
  }
  return `unknown template name "${name}": known names are ${TEMPLATE_NAMES.join(', ')}`;
}

/**
 * Compiles `{{name}}` references (inner spaces allowed) once, at load time. Every name must
 * have a known form and be accepted by `allowed` (null = accepted, else the message).
 * Throws a `TemplateError` listing every problem.
 */
export function compileTemplate(source: string, allowed: (name: string) => string | null): Template {
  const parts: Array<string | { readonly name: string }> = [];
  const problems: string[] = [];
  let pos = 0;
  for (;;) {
    const open = source.indexOf('{{', pos);
    if (open < 0) break;
    const close = source.indexOf('}}', open + 2);
    if (close < 0) {
      problems.push(`unclosed "{{" at character ${open + 1}`);
      break;
    }
    if (open > pos) parts.push(source.slice(pos, open));
    const name = source.slice(open + 2, close).trim();
    const problem = templateNameProblem(name) ?? allowed(name);
    if (problem !== null) problems.push(problem);
    parts.push({ name });
    pos = close + 2;
  }
  if (problems.length > 0) throw new TemplateError(problems);
  if (pos < source.length) parts.push(source.slice(pos));
  return { source, parts };
}

/**
 * Renders a compiled template. Runs at every dispatch, so it only walks the precompiled
 * parts. A value the scope lacks at run time (no model on a fallback instrument, a
 * dependency accepted without an output file) renders as an empty string: the names
 * themselves were all checked at load time.
 *
 * `{{validations.failed}}` is the one name whose empty value is meaningful rather than a gap:
 * it lists the validations that failed after the previous attempt (descriptions joined with
 * `; `), so it is empty in normal mode, where nothing has failed yet.
 */
export function renderTemplate(t: Template, scope: TemplateScope): string {
  const parts = t.parts;
  if (parts.length === 1) {
    const only = parts[0]!;
    return typeof only === 'string' ? only : valueOf(only.name, scope);
  }
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    out += typeof part === 'string' ? part : valueOf(part.name, scope);
  }
  return out;
}

function valueOf(name: string, scope: TemplateScope): string {
  switch (name) {
    case 'sheet.id':
      return scope.sheet.id;
    case 'sheet.attempt':
      return String(scope.sheet.attempt);
    case 'sheet.run':
      return String(scope.sheet.run);
    case 'sheet.mode':
      return scope.sheet.mode;
    case 'fan.index':
      return String(scope.fan.index);
    case 'fan.count':
      return String(scope.fan.count);
    case 'workspace':
      return scope.workspace;
    case 'model':
      return scope.model ?? '';
    case 'validations.failed':
      return scope.validations?.failed.join(FAILED_VALIDATIONS_SEPARATOR) ?? '';
    case 'prompt_file':
      return scope.prompt_file ?? '';
    case 'context':
      return scope.context ?? '';
  }
  if (name.charCodeAt(0) === 118 /* v */) return scope.vars[name.slice(VARS.length)] ?? '';
  if (name.endsWith(OUTPUT)) return scope.outputs?.[name.slice(DEPS.length, name.length - OUTPUT.length)] ?? '';
  return scope.deps[name.slice(DEPS.length, name.length - OUTPUT_FILE.length)]?.output_file ?? '';
}
