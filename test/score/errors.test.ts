import { describe, expect, it } from 'vitest';
import { parse, problemsOf, singleProblem, withSheets } from './helpers.js';

/** A score whose instruments section is `instruments` (YAML) and whose one sheet is `a`. */
function withInstruments(instruments: string, sheet = '  - id: a'): string {
  return `version: 1\nname: t\ninstruments:\n${instruments}\nsheets:\n${sheet}\n`;
}

describe('score errors: one line per problem, at its path', () => {
  it.each([
    ['an unknown instrument on a sheet', withSheets('  - id: a\n    instrument: nope'), 'sheets[0].instrument', /^unknown instrument "nope" \(defined: sh\)$/],
    ['an unknown defaults instrument', withSheets('  - id: a', 'defaults: { instrument: nope }'), 'defaults.instrument', /^unknown instrument "nope"/],
    [
      'an unknown instrument in fallback',
      withInstruments('  sh: { kind: command, command: [a], fallback: [slow] }'),
      'instruments.sh.fallback[0]',
      /^unknown instrument "slow"/,
    ],
    [
      'an instrument falling back to itself',
      withInstruments('  sh: { kind: command, command: [a], fallback: [sh] }'),
      'instruments.sh.fallback[0]',
      /itself/,
    ],
    ['an unknown kind', withInstruments('  sh: { kind: docker }'), 'instruments.sh.kind', /^unknown kind "docker": expected "command" or "function"$/],
    ['a missing kind', withInstruments('  sh: { command: [a] }'), 'instruments.sh.kind', /^required/],
    ['a command instrument without command', withInstruments('  sh: { kind: command }'), 'instruments.sh.command', /^required \(expected a list\)$/],
    ['an empty command', withInstruments('  sh: { kind: command, command: [] }'), 'instruments.sh.command', /at least 1 item/],
    ['a function instrument without module', withInstruments('  js: { kind: function }'), 'instruments.js.module', /^required/],
    [
      'a function given as run in a file',
      withInstruments('  js: { kind: function, run: "x" }'),
      'instruments.js.run',
      /^expected a function/,
    ],
    [
      'a model not in the instrument models',
      withInstruments('  sh: { kind: command, command: [a], models: { fast: {} } }', '  - id: a\n    model: slow'),
      'sheets[0].model',
      /^unknown model "slow" for instrument "sh" \(models: fast\)$/,
    ],
    [
      'an invalid rate_limit pattern',
      withInstruments('  sh: { kind: command, command: [a], rate_limit: { patterns: [ok, "(x"] } }'),
      'instruments.sh.rate_limit.patterns[1]',
      /^invalid regular expression "\(x"/,
    ],
    [
      'an invalid retry_after',
      withInstruments('  sh: { kind: command, command: [a], rate_limit: { patterns: [x], retry_after: "[" } }'),
      'instruments.sh.rate_limit.retry_after',
      /^invalid regular expression/,
    ],
    [
      'a retry_after without a capture group',
      withInstruments('  sh: { kind: command, command: [a], rate_limit: { patterns: [x], retry_after: "wait \\\\d+" } }'),
      'instruments.sh.rate_limit.retry_after',
      /needs a capture group/,
    ],
    ['an invalid cost_pattern', withInstruments('  sh: { kind: command, command: [a], cost_pattern: "*" }'), 'instruments.sh.cost_pattern', /^invalid regular expression/],
    [
      'an invalid file_matches pattern',
      withSheets('  - id: a\n    validations:\n      - file_matches: { path: x, pattern: "a)" }'),
      'sheets[0].validations[0].file_matches.pattern',
      /^invalid regular expression/,
    ],
    ['a bad score name', withSheets('  - id: a').replace('name: test', 'name: "my job"'), 'name', /\[A-Za-z0-9._-\]\+/],
    ['a reserved score name', withSheets('  - id: a').replace('name: test', 'name: ".."'), 'name', /reserved/],
    ['a bad sheet id', withSheets('  - id: a/b'), 'sheets[0].id', /\[A-Za-z0-9._-\]\+/],
    ['a zero fan_out', withSheets('  - id: a\n    fan_out: 0'), 'sheets[0].fan_out', /^must be at least 1$/],
    ['a fractional fan_out', withSheets('  - id: a\n    fan_out: 1.5'), 'sheets[0].fan_out', /^expected an integer, got the number 1.5$/],
    ['jitter above 1', withSheets('  - id: a', 'defaults: { backoff: { jitter: 1.5 } }'), 'defaults.backoff.jitter', /^must be at most 1$/],
    ['negative jitter', withSheets('  - id: a\n    backoff: { jitter: -0.1 }'), 'sheets[0].backoff.jitter', /^must be at least 0$/],
    ['factor below 1', withSheets('  - id: a\n    backoff: { factor: 0.5 }'), 'sheets[0].backoff.factor', /^must be at least 1$/],
    ['a bad duration', withSheets('  - id: a\n    backoff: { max: 5 minutes }'), 'sheets[0].backoff.max', /^invalid duration "5 minutes"/],
    ['a zero timeout', withSheets('  - id: a\n    timeout: 0s'), 'sheets[0].timeout', /^must be greater than 0$/],
    ['a zero concurrency', withSheets('  - id: a', 'concurrency: 0'), 'concurrency', /^must be at least 1$/],
    ['a fractional concurrency', withSheets('  - id: a', 'concurrency: 2.5'), 'concurrency', /integer/],
    ['negative retries', withSheets('  - id: a\n    retries: -1'), 'sheets[0].retries', /^must be at least 0$/],
    ['retries as text', withSheets('  - id: a', 'defaults: { retries: three }'), 'defaults.retries', /^expected (a number|an integer), got the string "three"$/],
    ['an unknown on_dependency_failure', withSheets('  - id: a\n    on_dependency_failure: maybe'), 'sheets[0].on_dependency_failure', /^expected one of "skip", "fail"/],
    ['a wrong version', withSheets('  - id: a').replace('version: 1', 'version: 2'), 'version', /^expected 1, got the integer 2$/],
    ['a missing name', withSheets('  - id: a').replace('name: test\n', ''), 'name', /^required \(expected a string\)$/],
    ['no sheets', withSheets('  []'), 'sheets', /at least 1 item/],
    ['no instruments', 'version: 1\nname: t\ninstruments: {}\nsheets:\n  - id: a\n  - id: b\n', 'instruments', /at least one instrument/],
    [
      'no instrument to pick among several',
      withInstruments('  a: { kind: command, command: [a] }\n  b: { kind: command, command: [b] }'),
      'sheets[0].instrument',
      /set instrument on the sheet or in defaults/,
    ],
    ['a validation with no check', withSheets('  - id: a\n    validations: [{}]'), 'sheets[0].validations[0]', /expected one of file_exists/],
    ['an unknown sheet in depends_on', withSheets('  - id: a\n    depends_on: [b]'), 'sheets[0].depends_on[0]', /^unknown sheet "b"$/],
  ])('%s', (_, text, path, message) => {
    expect(singleProblem(text, path)).toMatch(message);
  });

  it('names an unknown field', () => {
    expect(singleProblem(withSheets('  - id: a\n    comand: x'), 'sheets[0].comand')).toBe('unknown field "comand"');
    expect(singleProblem(withSheets('  - id: a', 'extra: 1'), 'extra')).toBe('unknown field "extra"');
    expect(singleProblem(withInstruments('  sh: { kind: command, command: [a], module: x }'), 'instruments.sh.module')).toBe(
      'unknown field "module"',
    );
  });

  it('says what type was expected', () => {
    expect(singleProblem(withSheets('  - id: a\n    escalate: "yes"'), 'sheets[0].escalate')).toBe(
      'expected true or false, got the string "yes"',
    );
    expect(singleProblem(withSheets('  - id: a\n    depends_on: b'), 'sheets[0].depends_on')).toBe(
      'expected a list, got the string "b"',
    );
  });

  it('reports an empty file and a file that is not a mapping', () => {
    expect(singleProblem('', '<score>')).toBe('the score is empty');
    expect(singleProblem('- 1\n- 2\n', '<score>')).toBe('expected a mapping, got a list');
  });

  it('reports every problem found, one per line', () => {
    const text = withSheets('  - id: a\n    retries: -1\n    fan_out: 0\n    foo: 1', 'concurrency: 0');
    const problems = problemsOf(() => parse(text));
    expect(problems.map((p) => p.path).sort()).toEqual(
      ['concurrency', 'sheets[0].fan_out', 'sheets[0].foo', 'sheets[0].retries'].sort(),
    );
  });

  it('reports every cross-check problem of a schema-valid score', () => {
    const text = withSheets(
      '  - id: a\n    instrument: x\n  - id: a\n  - id: c\n    depends_on: [zz]\n    args: ["{{vars.v}}"]',
    );
    const problems = problemsOf(() => parse(text));
    expect(problems.map((p) => p.path)).toEqual([
      'sheets[0].instrument',
      'sheets[1].id',
      'sheets[2].depends_on[0]',
      'sheets[2].args[0]',
    ]);
  });
});

describe('YAML syntax errors', () => {
  it('report the line and column', () => {
    const problems = problemsOf(() => parse('version: 1\nname: t\nsheets: [a, b\nx: 1\n'));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.path).toMatch(/^line 4, column \d+$/);
    expect(problems[0]!.message).not.toMatch(/line \d/);
  });

  it('report a duplicate key', () => {
    const problems = problemsOf(() => parse('version: 1\nname: t\nname: u\n'));
    expect(problems).toEqual([{ path: 'line 3, column 1', message: 'Map keys must be unique' }]);
  });

  it('report a tab used as indentation, one line per error', () => {
    const problems = problemsOf(() => parse('version: 1\ndefaults:\n\tretries: 1\n'));
    for (const p of problems) expect(p.path).toMatch(/^line \d+, column \d+$/);
    expect(problems.some((p) => p.path.startsWith('line 3,'))).toBe(true);
  });
});

describe('template errors', () => {
  const sheet = (args: string, extra = '') => withSheets(`  - id: dep\n  - id: s\n    depends_on: [dep]${extra}\n    args: [${args}]`);

  it.each([
    ['an unknown var', '"{{vars.nope}}"', /^unknown template name "vars.nope"/],
    ['an unknown name', '"x", "{{ whatever }}"', /^unknown template name "whatever"/],
    ['model without a model', '"{{model}}"', /needs a model/],
    ['a dependency that does not exist', '"{{deps.ghost.output_file}}"', /^unknown template name "deps.ghost.output_file"/],
    ['an unclosed {{', '"{{workspace"', /^unclosed "\{\{"/],
  ])('%s', (_, args, message) => {
    const path = args.startsWith('"x"') ? 'sheets[1].args[1]' : 'sheets[1].args[0]';
    expect(singleProblem(sheet(args), path)).toMatch(message);
  });

  it('accepts the vars of the sheet and of defaults', () => {
    const text = withSheets('  - id: s\n    vars: { own: 1 }\n    args: ["{{vars.own}}{{vars.shared}}"]', 'defaults: { vars: { shared: x } }');
    expect(parse(text).stages[0]!.args[0]!.parts).toEqual([{ name: 'vars.own' }, { name: 'vars.shared' }]);
  });

  it('accepts {{model}} when the sheet or defaults have one', () => {
    expect(parse(withSheets('  - id: s\n    model: m\n    args: ["{{model}}"]')).stages[0]!.model).toBe('m');
    expect(parse(withSheets('  - id: s\n    args: ["{{model}}"]', 'defaults: { model: m }')).stages[0]!.model).toBe('m');
  });

  it('rejects a sheet that is not a direct dependency', () => {
    const text = withSheets('  - id: a\n  - id: b\n    depends_on: [a]\n  - id: c\n    depends_on: [b]\n    args: ["{{deps.a.output_file}}"]');
    expect(singleProblem(text, 'sheets[2].args[0]')).toMatch(/^unknown template name "deps.a.output_file": "a" is not a direct dependency/);
  });

  it('rejects a whole fan-out, asking for a member', () => {
    const text = withSheets('  - id: an\n    fan_out: 3\n  - id: r\n    depends_on: [an]\n    args: ["{{deps.an.output_file}}"]');
    expect(singleProblem(text, 'sheets[1].args[0]')).toMatch(/fan-out "an" \(3 sheets\): name one member, e.g. deps.an.1.output_file/);
  });

  it('accepts a member of a fan-out it depends on, wholly or by that member', () => {
    const whole = withSheets('  - id: an\n    fan_out: 3\n  - id: r\n    depends_on: [an]\n    args: ["{{deps.an.2.output_file}}"]');
    expect(parse(whole).stages[1]!.args[0]!.parts).toEqual([{ name: 'deps.an.2.output_file' }]);
    const member = withSheets('  - id: an\n    fan_out: 3\n  - id: r\n    depends_on: [an.2]\n    args: ["{{deps.an.2.output_file}}"]');
    expect(parse(member).stages[1]!.dependsOn).toEqual([{ stage: 0, member: 2 }]);
    const other = member.replace('deps.an.2.output_file', 'deps.an.1.output_file');
    expect(singleProblem(other, 'sheets[1].args[0]')).toMatch(/not a direct dependency/);
  });

  it('accepts a dependency that comes from sequential order', () => {
    const text = withSheets('  - id: a\n  - id: b\n    args: ["{{deps.a.output_file}}"]', 'sequential: true');
    expect(parse(text).stages[1]!.dependsOn).toEqual([{ stage: 0 }]);
  });

  it('rejects the output file of a function instrument', () => {
    const text = `version: 1
name: t
instruments:
  sh: { kind: command, command: [a] }
  js: { kind: function, module: ./m.mjs }
sheets:
  - { id: f, instrument: js }
  - { id: g, instrument: sh, depends_on: [f], args: ["{{deps.f.output_file}}"] }
`;
    expect(singleProblem(text, 'sheets[1].args[0]')).toMatch(/function instrument "js"/);
  });

  it('names the exact path inside validations', () => {
    const v = (check: string) => withSheets(`  - id: s\n    validations:\n      - ${check}`);
    expect(singleProblem(v('file_exists: "{{vars.a}}"'), 'sheets[0].validations[0].file_exists')).toMatch(/vars.a/);
    expect(singleProblem(v('file_matches: { path: "{{nope}}", pattern: x }'), 'sheets[0].validations[0].file_matches.path')).toMatch(/nope/);
    expect(singleProblem(v('command_succeeds: [test, -s, "{{vars.b}}"]'), 'sheets[0].validations[0].command_succeeds[2]')).toMatch(/vars.b/);
  });
});
