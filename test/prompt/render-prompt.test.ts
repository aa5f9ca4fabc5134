import { describe, expect, it } from 'vitest';
import { renderPrompt } from '../../src/runtime/attempts/request.js';
import { compileTemplate, type TemplateScope } from '../../src/score/template.js';

const scope: TemplateScope = {
  sheet: { id: 'review.2', attempt: 1, run: 3, mode: 'normal' },
  fan: { index: 2, count: 6 },
  workspace: '/w',
  vars: { area: 'docs' },
  deps: {},
  prompt_file: '/w/sheets/review.2/3.prompt',
};

describe('renderPrompt', () => {
  it('renders a multi-line prompt with the names of args, keeping its text and line ends as written', () => {
    const template = compileTemplate('Review {{ vars.area }} ({{fan.index}}/{{fan.count}})\r\n\n  run {{sheet.run}}\n', () => null);
    expect(renderPrompt(template, scope)).toBe('Review docs (2/6)\r\n\n  run 3\n');
  });

  it('renders {{prompt_file}} from the scope, empty when the scope has none', () => {
    const template = compileTemplate('cat {{prompt_file}}', () => null);
    expect(renderPrompt(template, scope)).toBe('cat /w/sheets/review.2/3.prompt');
    const { prompt_file: _, ...without } = scope;
    expect(renderPrompt(template, without)).toBe('cat ');
  });
});
