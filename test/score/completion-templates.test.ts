import { describe, expect, it } from 'vitest';
import {
  TEMPLATE_NAMES,
  compileTemplate,
  renderTemplate,
  templateNameProblem,
  type TemplateScope,
} from '../../src/score/template.js';
import { parse, singleProblem, withSheets } from './helpers.js';

const anyName = () => null;

const normal: TemplateScope = {
  sheet: { id: 'analyze.2', attempt: 1, run: 1, mode: 'normal' },
  fan: { index: 2, count: 3 },
  workspace: '/ws',
  vars: {},
  deps: {},
};

const completion: TemplateScope = {
  ...normal,
  sheet: { id: 'analyze.2', attempt: 1, run: 2, mode: 'completion' },
  validations: { failed: ['file_matches out/2.txt /^OK/', 'command_succeeds test -s out/2.txt'] },
};

function render(source: string, scope: TemplateScope): string {
  return renderTemplate(compileTemplate(source, anyName), scope);
}

describe('{{validations.failed}}', () => {
  it('is a known template name', () => {
    expect(TEMPLATE_NAMES).toContain('validations.failed');
    expect(templateNameProblem('validations.failed')).toBeNull();
    expect(compileTemplate('fix: {{ validations.failed }}', anyName).parts).toEqual([
      'fix: ',
      { name: 'validations.failed' },
    ]);
  });

  it('still rejects other validations.* names', () => {
    expect(templateNameProblem('validations.passed')).toMatch(/^unknown template name "validations.passed"/);
    expect(templateNameProblem('validations')).toMatch(/known names are .*validations\.failed/);
  });

  it('renders the failed descriptions joined with "; "', () => {
    expect(render('{{validations.failed}}', completion)).toBe(
      'file_matches out/2.txt /^OK/; command_succeeds test -s out/2.txt',
    );
    expect(render('[{{sheet.mode}}] fix: {{validations.failed}}', completion)).toBe(
      '[completion] fix: file_matches out/2.txt /^OK/; command_succeeds test -s out/2.txt',
    );
  });

  it('renders empty when nothing failed (normal mode)', () => {
    expect(render('{{validations.failed}}', normal)).toBe('');
    expect(render('failed=[{{validations.failed}}]', normal)).toBe('failed=[]');
    expect(render('{{validations.failed}}', { ...normal, validations: { failed: [] } })).toBe('');
  });

  it('passes the load-time check in args', () => {
    const score = parse(withSheets(`  - id: a\n    args: ["fix {{validations.failed}}", "{{sheet.mode}}"]`));
    const args = score.stages[0]!.args;
    expect(args.map((t) => renderTemplate(t, completion))).toEqual([
      'fix file_matches out/2.txt /^OK/; command_succeeds test -s out/2.txt',
      'completion',
    ]);
    expect(args.map((t) => renderTemplate(t, normal))).toEqual(['fix ', 'normal']);
  });

  it('is refused inside validations, which check the attempt that just ran', () => {
    const message = singleProblem(
      withSheets(`  - id: a\n    validations:\n      - file_exists: "{{validations.failed}}"`),
      'sheets[0].validations[0].file_exists',
    );
    expect(message).toMatch(/validations\.failed.*only available in args/);
    expect(
      singleProblem(
        withSheets(`  - id: a\n    validations:\n      - command_succeeds: [echo, "{{validations.failed}}"]`),
        'sheets[0].validations[0].command_succeeds[1]',
      ),
    ).toMatch(/only available in args/);
  });
});
