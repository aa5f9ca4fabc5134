import { describe, expect, it } from 'vitest';
import {
  TemplateError,
  compileTemplate,
  renderTemplate,
  type TemplateScope,
} from '../../src/score/template.js';
import { thrownBy } from '../support/thrown.js';

const anyName = () => null;

const scope: TemplateScope = {
  sheet: { id: 'analyze.2', attempt: 3, run: 5, mode: 'completion' },
  fan: { index: 2, count: 5 },
  workspace: '/ws',
  model: 'fast',
  vars: { who: 'world', 'x.y': 'dotted' },
  deps: { fetch: { output_file: '/ws/fetch.stdout' }, 'split.2': { output_file: '/ws/split.2.stdout' } },
};

function render(source: string, s: TemplateScope = scope): string {
  return renderTemplate(compileTemplate(source, anyName), s);
}

function compileProblems(source: string, allowed: (name: string) => string | null = anyName): string[] {
  return thrownBy(TemplateError, () => compileTemplate(source, allowed), 'expected a TemplateError').problems;
}

describe('compileTemplate', () => {
  it('splits literal text and names, trimming inner spaces', () => {
    expect(compileTemplate('a {{ workspace }}/b-{{fan.index}}', anyName).parts).toEqual([
      'a ',
      { name: 'workspace' },
      '/b-',
      { name: 'fan.index' },
    ]);
  });

  it('keeps text without names as one literal part', () => {
    expect(compileTemplate('plain } { text', anyName).parts).toEqual(['plain } { text']);
    expect(compileTemplate('', anyName).parts).toEqual([]);
  });

  it('rejects an unclosed {{', () => {
    expect(compileProblems('echo {{workspace')).toEqual(['unclosed "{{" at character 6']);
  });

  it('rejects names of no known form', () => {
    const [message] = compileProblems('{{nope}}');
    expect(message).toMatch(/^unknown template name "nope"/);
    expect(compileProblems('{{deps.fetch.stdout}}')[0]).toMatch(/^unknown template name "deps.fetch.stdout"/);
    expect(compileProblems('{{vars.}}')[0]).toMatch(/^unknown template name "vars."/);
    expect(compileProblems('{{ }}')[0]).toMatch(/empty template name/);
  });

  it('reports every bad name of a template', () => {
    expect(compileProblems('{{a}} {{workspace}} {{b}}')).toHaveLength(2);
  });

  it('asks `allowed` about each name and reports its message', () => {
    const asked: string[] = [];
    const problems = compileProblems('{{vars.x}}-{{model}}', (name) => {
      asked.push(name);
      return name === 'model' ? 'no model here' : null;
    });
    expect(asked).toEqual(['vars.x', 'model']);
    expect(problems).toEqual(['no model here']);
  });
});

describe('renderTemplate', () => {
  it('renders every name from the scope', () => {
    expect(render('{{sheet.id}}|{{sheet.attempt}}|{{sheet.run}}|{{sheet.mode}}|{{fan.index}}/{{fan.count}}')).toBe(
      'analyze.2|3|5|completion|2/5',
    );
    expect(render('{{workspace}}/x {{model}} {{vars.who}} {{vars.x.y}}')).toBe('/ws/x fast world dotted');
    expect(render('{{deps.fetch.output_file}} {{deps.split.2.output_file}}')).toBe(
      '/ws/fetch.stdout /ws/split.2.stdout',
    );
  });

  it('renders a non-fan sheet as fan 1 of 1 when the scope says so', () => {
    expect(render('{{fan.index}}/{{fan.count}}', { ...scope, fan: { index: 1, count: 1 } })).toBe('1/1');
  });

  it('renders literal-only and single-name templates', () => {
    expect(render('just text')).toBe('just text');
    expect(render('{{sheet.mode}}')).toBe('completion');
    expect(render('')).toBe('');
  });

  it('renders a value missing at run time as empty text', () => {
    const { model: _model, ...noModel } = scope;
    expect(render('[{{model}}][{{deps.gone.output_file}}]', noModel)).toBe('[][]');
  });

  it('renders the same template with different scopes independently', () => {
    const t = compileTemplate('out-{{fan.index}}.txt', anyName);
    expect(renderTemplate(t, { ...scope, fan: { index: 1, count: 3 } })).toBe('out-1.txt');
    expect(renderTemplate(t, { ...scope, fan: { index: 3, count: 3 } })).toBe('out-3.txt');
  });
});
