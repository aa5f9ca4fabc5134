import * as path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import type { ContextItem } from '../../actors/instruments/instrument.js';
import { CONTEXT_DEFAULTS, namesContext } from '../../score/stage-context.js';
import { dependencyOutputOf, type TemplateScope } from '../../score/template.js';
import type { StageSpec, Template } from '../../score/types.js';
import { errorMessage } from '../../util/error-message.js';
import type { Job } from '../model/job.js';
import type { SheetRecord } from '../model/sheet-record.js';
import { headOf, readHead, type Head } from './context-read.js';
import { directDependencies } from './dependency-outputs.js';

/** What a sheet's attempt is given of its dependencies and files, read at dispatch. */
export interface AssembledContext {
  items: ContextItem[];
  /** The items rendered as one text, for `{{context}}`. */
  text: string;
  /** Each dependency output a template names (`{{deps.ID.output}}`), by sheet id. */
  outputs: Record<string, string>;
}

/** A piece of content, or why there is none. */
type Content = { head: Head } | { note: string };

const NAMED_OUTPUTS = new WeakMap<StageSpec, string[]>();

/** The dependencies whose output the stage's args or prompt name, found once per stage. */
function namedOutputs(spec: StageSpec): string[] {
  let ids = NAMED_OUTPUTS.get(spec);
  if (ids === undefined) {
    const templates: Template[] = spec.prompt === undefined ? spec.args : [...spec.args, spec.prompt];
    const names = templates.flatMap((t) => t.parts.flatMap((p) => (typeof p === 'string' ? [] : [p.name])));
    ids = [...new Set(names.flatMap((name) => dependencyOutputOf(name) ?? []))];
    NAMED_OUTPUTS.set(spec, ids);
  }
  return ids;
}

/** Whether an attempt of the stage reads outputs or files before it starts. */
export function needsContext(spec: StageSpec): boolean {
  return spec.context !== undefined || namedOutputs(spec).length > 0;
}

/**
 * Reads what the sheet's context and its `{{deps.ID.output}}` names hold, in the documented
 * order: the chosen dependencies in depends_on order (a fan-out's members by index), then the
 * files, sorted. Never rejects: an output or file that cannot be read is an item saying so.
 */
export async function assembleContext(job: Job, record: SheetRecord): Promise<AssembledContext> {
  const spec = record.stage.spec;
  const maxBytes = spec.context?.maxBytes ?? CONTEXT_DEFAULTS.maxBytes;
  const outputs: Record<string, string> = {};
  for (const id of namedOutputs(spec)) {
    const dep = job.byId.get(id);
    const content = dep === undefined ? { note: 'no output' } : await outputOf(dep, maxBytes);
    if ('head' in content) outputs[id] = content.head.text + cutLine(content.head, 'context.max_bytes');
  }
  const context = spec.context;
  if (context === undefined) return { items: [], text: '', outputs };

  let budget = context.totalMaxBytes;
  const items: ContextItem[] = [];
  const blocks: string[] = [];
  const add = (kind: string, source: string, content: Content, cap: number): void => {
    if ('note' in content) {
      items.push({ source, text: '', truncated: false, note: content.note });
      blocks.push(`==> ${kind} ${source} (${content.note}) <==\n`);
      return;
    }
    const { head } = content;
    budget -= head.kept;
    const truncated = head.kept < head.size;
    const note = head.invalidUtf8 ? 'not valid UTF-8: shown with replacement characters' : undefined;
    items.push({ source, text: head.text, truncated, ...(note !== undefined && { note }) });
    const limit = cap < context.maxBytes ? 'context.total_max_bytes' : 'context.max_bytes';
    const body = head.text === '' || head.text.endsWith('\n') ? head.text : `${head.text}\n`;
    blocks.push(`==> ${kind} ${source}${note === undefined ? '' : ` (${note})`} <==\n${body}${cutLine(head, limit)}`);
  };

  const chosen = new Set(directDependencies(job, context.deps));
  for (const dep of directDependencies(job, spec.dependsOn)) {
    if (!chosen.has(dep)) continue;
    const cap = Math.min(context.maxBytes, budget);
    add('sheet', dep.id, await outputOf(dep, cap), cap);
  }
  const { files, unmatched } = await matchFiles(job.score.workspace, context.files);
  for (const file of files) {
    const cap = Math.min(context.maxBytes, budget);
    add('file', file, await fileContent(path.join(job.score.workspace, file), cap), cap);
  }
  for (const pattern of unmatched) add('file', pattern, { note: isDynamicPattern(pattern) ? 'no file matches' : 'missing' }, 0);
  return { items, text: blocks.join('\n'), outputs };
}

/** What a dependency left for its dependents: a command's stdout, a function's output as JSON. */
async function outputOf(dep: SheetRecord, cap: number): Promise<Content> {
  if (dep.state === 'skipped') return { note: 'skipped: no output' };
  if (dep.outputFile !== undefined) return fileContent(dep.outputFile, cap);
  if (dep.output !== undefined) return { head: headOf(JSON.stringify(dep.output), cap) };
  return { note: 'no output' };
}

async function fileContent(file: string, cap: number): Promise<Content> {
  try {
    return { head: await readHead(file, cap) };
  } catch (error) {
    return { note: `unreadable: ${errorMessage(error)}` };
  }
}

/** Every file the patterns match under the workspace, once each, sorted; and the patterns that matched nothing. */
async function matchFiles(workspace: string, patterns: readonly string[]): Promise<{ files: string[]; unmatched: string[] }> {
  const found = new Set<string>();
  const unmatched: string[] = [];
  for (const pattern of patterns) {
    let matches: string[];
    try {
      matches = await glob(pattern, { cwd: workspace, onlyFiles: true, expandDirectories: false });
    } catch {
      matches = [];
    }
    if (matches.length === 0) unmatched.push(pattern);
    for (const match of matches) found.add(match);
  }
  // Code-unit order: the same on every machine, whatever its locale.
  return { files: [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), unmatched };
}

/** The line that says a cut was made, or nothing when nothing was cut. */
function cutLine(head: Head, limit: string): string {
  if (head.kept >= head.size) return '';
  const reason = limit === 'context.max_bytes' ? 'the item is longer than context.max_bytes' : 'context.total_max_bytes is reached';
  return `[baton: cut, ${head.size - head.kept} of ${head.size} bytes not shown: ${reason}]\n`;
}

/** The names the context adds to an attempt's template scope. */
export function contextScope(assembled: AssembledContext | undefined): Pick<TemplateScope, 'context' | 'outputs'> {
  return assembled === undefined ? {} : { context: assembled.text, outputs: assembled.outputs };
}

/** A rendered prompt with the context appended, when the sheet has one and the prompt does not place it. */
export function promptWithContext(rendered: string, template: Template, assembled: AssembledContext | undefined): string {
  if (assembled === undefined || assembled.text === '' || namesContext(template)) return rendered;
  return `${rendered}${rendered === '' || rendered.endsWith('\n') ? '' : '\n'}\n${assembled.text}`;
}
