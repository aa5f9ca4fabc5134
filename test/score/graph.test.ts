import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineScore, type ScoreInput } from '../../src/index.js';
import { parse, problemsOf, singleProblem, withSheets } from './helpers.js';

describe('fan-out', () => {
  it('counts every member in sheetCount and keeps one stage per entry', () => {
    const score = parse(withSheets('  - id: a\n  - id: b\n    fan_out: 4\n  - id: c\n    fan_out: 1'));
    expect(score.stages.map((s) => [s.id, s.fanOut])).toEqual([
      ['a', undefined],
      ['b', 4],
      ['c', 1],
    ]);
    expect(score.sheetCount).toBe(6);
  });

  it('renders {{fan.index}} per member', () => {
    const score = parse(withSheets('  - id: b\n    fan_out: 2\n    args: ["out-{{fan.index}}-of-{{fan.count}}"]'));
    expect(score.stages[0]!.args[0]!.parts).toEqual(['out-', { name: 'fan.index' }, '-of-', { name: 'fan.count' }]);
  });
});

describe('depends_on', () => {
  const score = parse(
    withSheets(`  - id: fetch
  - id: analyze
    fan_out: 3
    depends_on: [fetch]
  - id: report
    depends_on: [analyze]
  - id: second
    depends_on: [analyze.2, fetch]
  - id: dotted.name
    depends_on: [second]`),
  );

  it('names a single sheet as the whole stage', () => {
    expect(score.stages[1]!.dependsOn).toEqual([{ stage: 0 }]);
  });

  it('names every member when it names a fan-out id, with one ref', () => {
    expect(score.stages[2]!.dependsOn).toEqual([{ stage: 1 }]);
  });

  it('names one member with <id>.<n>', () => {
    expect(score.stages[3]!.dependsOn).toEqual([{ stage: 1, member: 2 }, { stage: 0 }]);
  });

  it('accepts ids that contain dots', () => {
    expect(score.stages[4]!.dependsOn).toEqual([{ stage: 3 }]);
  });

  it('drops repeats and member refs covered by a whole-stage ref', () => {
    const s = parse(
      withSheets(`  - id: a
    fan_out: 3
  - id: b
    depends_on: [a.1, a, a.2, a, a.1]`),
    );
    expect(s.stages[1]!.dependsOn).toEqual([{ stage: 0 }]);
    const m = parse(withSheets(`  - id: a\n    fan_out: 3\n  - id: b\n    depends_on: [a.1, a.3, a.1]`));
    expect(m.stages[1]!.dependsOn).toEqual([{ stage: 0, member: 1 }, { stage: 0, member: 3 }]);
  });

  it('rejects an unknown sheet at its index in depends_on', () => {
    const message = singleProblem(withSheets('  - id: fetch\n  - id: b\n    depends_on: [fetch, fetchh]'), 'sheets[1].depends_on[1]');
    expect(message).toBe('unknown sheet "fetchh"');
  });

  it('rejects a member beyond the fan-out, and a member of a sheet with no fan_out', () => {
    expect(singleProblem(withSheets('  - id: a\n    fan_out: 2\n  - id: b\n    depends_on: [a.3]'), 'sheets[1].depends_on[0]')).toMatch(
      /^unknown sheet "a.3": "a" has members 1 to 2/,
    );
    expect(singleProblem(withSheets('  - id: a\n  - id: b\n    depends_on: [a.1]'), 'sheets[1].depends_on[0]')).toMatch(
      /^unknown sheet "a.1"/,
    );
    expect(singleProblem(withSheets('  - id: a\n    fan_out: 2\n  - id: b\n    depends_on: [a.01]'), 'sheets[1].depends_on[0]')).toMatch(
      /^unknown sheet "a.01"/,
    );
  });
});

describe('sequential', () => {
  const sheets = `  - id: a
    fan_out: 2
  - id: b
  - id: c
    depends_on: [a]
  - id: d
    depends_on: []
  - id: e`;

  it('true: an entry without depends_on depends on the entry before it (all its members)', () => {
    const score = parse(withSheets(sheets, 'sequential: true'));
    expect(score.sequential).toBe(true);
    expect(score.stages.map((s) => s.dependsOn)).toEqual([[], [{ stage: 0 }], [{ stage: 0 }], [], [{ stage: 3 }]]);
  });

  it('false (the default): an entry without depends_on is independent', () => {
    const score = parse(withSheets(sheets));
    expect(score.stages.map((s) => s.dependsOn)).toEqual([[], [], [{ stage: 0 }], [], []]);
  });
});

describe('cycles', () => {
  it('names the ids on the cycle in order', () => {
    const message = singleProblem(
      withSheets(`  - id: start
  - id: a
    depends_on: [b]
  - id: b
    depends_on: [c]
  - id: c
    depends_on: [start, a]`),
      'sheets',
    );
    expect(message).toBe('dependency cycle: a → b → c → a');
  });

  it('treats a self-dependency as a cycle', () => {
    expect(singleProblem(withSheets('  - id: a\n    depends_on: [a]'), 'sheets')).toBe('dependency cycle: a → a');
  });

  it('sees a cycle through a fan-out member', () => {
    const message = singleProblem(
      withSheets('  - id: a\n    fan_out: 2\n    depends_on: [b]\n  - id: b\n    depends_on: [a.2]'),
      'sheets',
    );
    expect(message).toBe('dependency cycle: a → b → a');
  });

  it('survives a long chain without overflowing the stack', () => {
    const n = 20_000;
    const sheets = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, depends_on: [`s${(i + 1) % n}`] }));
    const problems = problemsOf(() => defineScore(scoreOf(sheets)));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^dependency cycle: s0 → s1 → s2 → .* → s19999 → s0$/);
  });
});

describe('duplicate ids', () => {
  it('rejects a repeated id at the later entry', () => {
    expect(singleProblem(withSheets('  - id: a\n  - id: b\n  - id: a'), 'sheets[2].id')).toMatch(/^duplicate id "a" \(also sheets\[0\]\)/);
  });

  it('rejects an id that is a member of a fan-out', () => {
    expect(singleProblem(withSheets('  - id: x.2\n  - id: x\n    fan_out: 2'), 'sheets[0].id')).toMatch(
      /^duplicate id "x.2": it is a member of fan-out "x"/,
    );
  });

  it('accepts an id that only looks like a member', () => {
    const score = parse(withSheets('  - id: x.3\n  - id: x\n    fan_out: 2\n  - id: y.1\n  - id: y'));
    expect(score.sheetCount).toBe(5);
  });
});

describe('stage-level dependencies', () => {
  it('keeps one ref per layer for 100 layers of 1,000 members', () => {
    const sheets = Array.from({ length: 100 }, (_, i) => ({
      id: `layer${i}`,
      fan_out: 1000,
      ...(i > 0 && { depends_on: [`layer${i - 1}`] }),
    }));
    const started = performance.now();
    const score = defineScore(scoreOf(sheets));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(score.sheetCount).toBe(100_000);
    expect(score.stages.reduce((n, s) => n + s.dependsOn.length, 0)).toBe(99);
  });
});

function scoreOf(sheets: NonNullable<ScoreInput['sheets']>): ScoreInput {
  return { version: 1, name: 'gen', instruments: { sh: { kind: 'command', command: ['true'] } }, sheets };
}

/** A random DAG: each stage depends only on earlier stages, some as fan-outs, some by member. */
const acyclicStages = fc
  .array(fc.record({ fanOut: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), picks: fc.array(fc.nat(), { maxLength: 4 }) }), {
    minLength: 1,
    maxLength: 25,
  })
  .map((entries) =>
    entries.map((entry, i) => {
      const depends = i === 0 ? [] : entry.picks.map((p) => p % i);
      return { fanOut: entry.fanOut, depends };
    }),
  );

function sheetsOf(stages: Array<{ fanOut: number | undefined; depends: number[] }>, shuffle: number[]) {
  // Entries are written in a shuffled order, so file order says nothing about the DAG.
  const name = (i: number) => `n${i}`;
  return shuffle.map((i) => {
    const stage = stages[i]!;
    return {
      id: name(i),
      ...(stage.fanOut !== undefined && { fan_out: stage.fanOut }),
      depends_on: stage.depends.map((d) => {
        const target = stages[d]!;
        return target.fanOut !== undefined && d % 2 === 0 ? `${name(d)}.${target.fanOut}` : name(d);
      }),
    };
  });
}

const withOrder = acyclicStages.chain((stages) =>
  fc.tuple(fc.constant(stages), fc.shuffledSubarray([...stages.keys()], { minLength: stages.length, maxLength: stages.length })),
);

describe('property: dependency graphs', () => {
  it('every acyclic graph loads, with one ref per distinct dependency', () => {
    fc.assert(
      fc.property(withOrder, ([stages, order]) => {
        const score = defineScore(scoreOf(sheetsOf(stages, order)));
        expect(score.sheetCount).toBe(stages.reduce((n, s) => n + (s.fanOut ?? 1), 0));
        score.stages.forEach((spec) => {
          const original = stages[Number(spec.id.slice(1))]!;
          const targets = new Set(spec.dependsOn.map((r) => score.stages[r.stage]!.id));
          expect(targets).toEqual(new Set(original.depends.map((d) => `n${d}`)));
        });
      }),
    );
  });

  it('a graph with an injected back edge is rejected, each reported cycle being real edges', () => {
    const withBackEdge = withOrder.chain(([stages, order]) =>
      fc.tuple(fc.nat({ max: stages.length - 1 }), fc.nat()).map(([from, pick]) => {
        // Stages that (transitively) depend on `from`, `from` itself included: an edge from
        // `from` to any of them closes a cycle.
        const reaching = new Set([from]);
        for (let i = from + 1; i < stages.length; i++) {
          if (stages[i]!.depends.some((d) => reaching.has(d))) reaching.add(i);
        }
        const candidates = [...reaching];
        return { stages, order, from, to: candidates[pick % candidates.length]! };
      }),
    );
    fc.assert(
      fc.property(withBackEdge, ({ stages, order, from, to }) => {
        const cyclic = stages.map((s, i) => ({ fanOut: s.fanOut, depends: i === from ? [...s.depends, to] : s.depends }));
        const problems = problemsOf(() => defineScore(scoreOf(sheetsOf(cyclic, order))));
        expect(problems.length).toBeGreaterThan(0);
        for (const p of problems) {
          expect(p.path).toBe('sheets');
          expect(p.message).toMatch(/^dependency cycle: (n\d+ → )+n\d+$/);
          const ids = p.message.slice('dependency cycle: '.length).split(' → ').map((id) => Number(id.slice(1)));
          expect(ids[0]).toBe(ids[ids.length - 1]);
          for (let k = 0; k + 1 < ids.length; k++) expect(cyclic[ids[k]!]!.depends).toContain(ids[k + 1]);
        }
      }),
    );
  });
});
