import { describe, expect, it } from 'vitest';
import { parse, problemsOf, singleProblem, withSheets } from '../score/helpers.js';

const plan = '  - id: plan\n';
const fan = '  - id: an\n    fan_out: 3\n';

describe('score: context and {{deps.ID.output}}', () => {
  it('resolves context with its default sizes, and sizes written with units', () => {
    const text = withSheets(`${plan}  - id: r\n    depends_on: [plan]\n    prompt: go\n    context: { deps: true, files: ["notes/*.md"] }`);
    expect(parse(text).stages[1]!.context).toEqual({ deps: [{ stage: 0 }], files: ['notes/*.md'], maxBytes: 65536, totalMaxBytes: 524288 });
    const sized = text.replace('files: ["notes/*.md"]', 'max_bytes: 1.5KiB, total_max_bytes: 2MB');
    expect(parse(sized).stages[1]!.context).toMatchObject({ maxBytes: 1536, totalMaxBytes: 2_000_000 });
  });

  it('takes deps as a list of direct dependencies: a sheet, a fan-out, a member', () => {
    const text = withSheets(`${plan}${fan}  - id: r\n    depends_on: [plan, an]\n    prompt: go\n    context: { deps: [an.2, plan] }`);
    expect(parse(text).stages[2]!.context!.deps).toEqual([{ stage: 1, member: 2 }, { stage: 0 }]);
  });

  it.each([
    ['an unknown sheet', 'deps: [ghost]', 'sheets[1].context.deps[0]', /^unknown sheet "ghost"/],
    ['a sheet that is not a direct dependency', 'deps: [other]', 'sheets[1].context.deps[0]', /"other" is not a direct dependency of this sheet/],
    ['a size without a known unit', 'max_bytes: 64k', 'sheets[1].context.max_bytes', /invalid size "64k": use bytes/],
    ['a size of 0', 'total_max_bytes: 0', 'sheets[1].context.total_max_bytes', /must be at least 1 byte/],
    ['a glob out of the workspace', 'files: ["../secrets/*"]', 'sheets[1].context.files[0]', /no "\.\." segment/],
    ['an absolute glob', 'files: ["/etc/*"]', 'sheets[1].context.files[0]', /not an absolute path/],
    ['an unknown key', 'dep: true', 'sheets[1].context.dep', /unknown field "dep"/],
  ])('rejects %s', (_, context, path, message) => {
    const text = withSheets(`${plan}  - id: r\n    depends_on: [plan]\n    prompt: go\n    context: { ${context} }\n  - id: other`);
    expect(singleProblem(text, path)).toMatch(message);
  });

  it('rejects deps: true on a sheet without dependencies', () => {
    expect(singleProblem(withSheets('  - id: r\n    prompt: go\n    context: { deps: true }'), 'sheets[0].context.deps')).toMatch(/no dependencies/);
  });

  it('rejects a context that reaches no program: a command sheet with no prompt and no {{context}} in args', () => {
    const text = withSheets(`${plan}  - id: r\n    depends_on: [plan]\n    args: [cat]\n    context: { deps: true }`);
    expect(singleProblem(text, 'sheets[1].context')).toMatch(/reaches no program: give the sheet a prompt/);
    expect(parse(text.replace('args: [cat]', 'args: ["echo {{context}}"]')).stages[1]!.context).toBeDefined();
  });

  it('rejects {{context}} on a sheet without context, and in validations', () => {
    expect(singleProblem(withSheets('  - id: r\n    args: ["{{context}}"]'), 'sheets[0].args[0]')).toMatch(/needs a context: set context on the sheet/);
    const inValidation = withSheets(`${plan}  - id: r\n    depends_on: [plan]\n    prompt: go\n    context: { deps: true }\n    validations: [{ file_exists: "{{context}}" }]`);
    expect(singleProblem(inValidation, 'sheets[1].validations[0].file_exists')).toMatch(/only available in args and the prompt, not in validations/);
  });

  it('accepts {{deps.ID.output}} of a direct dependency in args and the prompt, a function one included', () => {
    const text = `version: 1
name: t
instruments:
  sh: { kind: command, command: [a] }
  js: { kind: function, module: ./m.mjs }
sheets:
  - { id: f, instrument: js }
  - { id: g, instrument: sh, depends_on: [f], args: ["{{deps.f.output}}"], prompt: "{{ deps.f.output }}" }
`;
    expect(parse(text).stages[1]!.args[0]!.parts).toEqual([{ name: 'deps.f.output' }]);
  });

  it.each([
    ['an unknown sheet', `${plan}  - id: r\n    args: ["{{deps.ghost.output}}"]`, 'sheets[1].args[0]', /^unknown template name "deps.ghost.output": no sheet "ghost"/],
    ['a sheet that is not a direct dependency', `${plan}  - id: r\n    args: ["{{deps.plan.output}}"]`, 'sheets[1].args[0]', /"plan" is not a direct dependency/],
    ['a whole fan-out', `${fan}  - id: r\n    depends_on: [an]\n    prompt: "{{deps.an.output}}"`, 'sheets[1].prompt', /name one member, e.g. deps.an.1.output$/],
    ['a validation', `${plan}  - id: r\n    depends_on: [plan]\n    validations: [{ file_exists: "{{deps.plan.output}}" }]`, 'sheets[1].validations[0].file_exists', /only available in args and the prompt/],
    ['another field of a dependency', `${plan}  - id: r\n    depends_on: [plan]\n    args: ["{{deps.plan.stdout}}"]`, 'sheets[1].args[0]', /deps.ID.output \(its text\) or deps.ID.output_file/],
  ])('rejects {{deps.ID.output}} naming %s', (_, sheets, path, message) => {
    expect(singleProblem(withSheets(sheets), path)).toMatch(message);
  });

  it('reports every context problem of a score at once', () => {
    const text = withSheets(`${plan}  - id: r\n    depends_on: [plan]\n    args: ["{{deps.nope.output}}", "{{context}}"]\n    context: { deps: [nope] }`);
    expect(problemsOf(() => parse(text)).map((p) => p.path)).toEqual(['sheets[1].context.deps[0]', 'sheets[1].args[0]']);
  });
});
