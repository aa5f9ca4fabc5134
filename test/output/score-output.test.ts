/** `output:` in a score: what it compiles to, and the errors it can be. */
import { describe, expect, it } from 'vitest';
import { parse, problemsOf, singleProblem } from '../score/helpers.js';

function withInstrument(fields: string): string {
  return `version: 1\nname: t\ninstruments:\n  agent: { kind: command, command: [agent, -p], ${fields} }\nsheets:\n  - id: a\n`;
}

describe('output in a score', () => {
  it('compiles with json as the default format and its paths as written', () => {
    const score = parse(withInstrument('output: { cost: total_cost_usd, failed: is_error, message: result, retry_after: usage.retry_after_s }'));
    expect(score.instruments.agent).toMatchObject({
      output: { format: 'json', cost: 'total_cost_usd', failed: 'is_error', message: 'result', retryAfter: 'usage.retry_after_s' },
    });
  });

  it('cost_pattern and output.cost together are a score error naming both paths', () => {
    const message = singleProblem(withInstrument('cost_pattern: "cost=([0-9.]+)", output: { cost: total_cost_usd }'), 'instruments.agent.output.cost');
    expect(message).toBe('give the cost one way: instruments.agent.cost_pattern is set too; remove one of them');
  });

  it('cost_pattern with output fields other than cost is fine', () => {
    expect(() => parse(withInstrument('cost_pattern: "cost=([0-9.]+)", output: { failed: is_error }'))).not.toThrow();
  });

  it('refuses an unknown format, a path that is not a dotted path, and an unknown field', () => {
    const problems = problemsOf(() => parse(withInstrument('output: { format: xml, cost: "a..b", costs: x }')));
    expect(problems.map((p) => p.path).sort()).toEqual(['instruments.agent.output.cost', 'instruments.agent.output.costs', 'instruments.agent.output.format']);
    expect(problems.find((p) => p.path === 'instruments.agent.output.cost')?.message).toBe('must be a dotted path to a field, such as total_cost_usd or usage.cost');
  });
});
