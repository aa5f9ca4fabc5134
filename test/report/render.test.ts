import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  renderReport,
  reportData,
  type AttemptRow,
  type ReportContents,
  type SheetEventRow,
  type SheetRow,
} from '../../src/index.js';
import { attemptRow, jobRow, sheetRow } from '../store/helpers.js';
import { buildScore } from '../support/build-score.js';

const runs = Number(process.env.BATON_PROPERTY_RUNS ?? 200);
const T0 = 1_700_000_000_000;

/** Every tag the page may contain: anything else came from user text that was not escaped. */
const OUR_TAGS = new Set([
  'html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'p', 'code', 'strong', 'section', 'div',
  'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span', 'i', 'pre', 'svg', 'defs', 'pattern', 'rect', 'g', 'line', 'text', 'path',
]);

function tagsOf(html: string): Set<string> {
  return new Set([...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9-]*)/g)].map((m) => m[1]!.toLowerCase()));
}

function contents(over: { error?: string; name?: string; detail?: string } = {}): ReportContents {
  const error = over.error ?? 'exit 1';
  return {
    job: jobRow({ name: over.name ?? 'demo', createdAt: T0, updatedAt: T0 + 1000 }),
    sheets: [
      sheetRow('a', { state: 'failed', dispatches: 1, lastError: error, reason: 'failed' }),
      sheetRow('b', { state: 'skipped', reason: 'dependency' }),
    ],
    attempts: [attemptRow('a', 1, { startedAt: T0, endedAt: T0 + 500, status: 'failure', error })],
    events: [
      { sheetId: 'a', at: T0, state: 'ready', until: null, detail: null },
      { sheetId: 'a', at: T0 + 10, state: 'running', until: null, detail: null },
      { sheetId: 'a', at: T0 + 500, state: 'fermata', until: null, detail: over.detail ?? 'failed' },
      { sheetId: 'a', at: T0 + 900, state: 'failed', until: null, detail: 'decision' },
    ],
  };
}

const score = buildScore({ stages: [{ id: 'a' }, { id: 'b', deps: ['a'] }] });
const render = (c: ReportContents, options: Parameters<typeof reportData>[2] = { now: T0 + 2000 }) =>
  renderReport(reportData(c, score, options));

describe('renderReport', () => {
  it('escapes what sheets printed: an error with a script tag is shown as text', () => {
    const html = render(contents({ error: '<script>alert("pwned")</script> & \'quoted\'' }));
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;');
    expect([...tagsOf(html)].filter((t) => !OUR_TAGS.has(t))).toEqual([]);
  });

  it('loads nothing: no src or href, no url() but its own pattern, no http(s) address, and a CSP that forbids requests', () => {
    const html = render(contents());
    expect(html).not.toMatch(/\s(src|href|srcset|action|xlink:href)\s*=/i);
    expect(html).not.toMatch(/https?:\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect([...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1])).toEqual(['#hatch']);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
  });

  it('keeps an address a sheet printed as text, never as a link', () => {
    const html = render(contents({ error: 'GET https://example.com/x failed' }));
    expect(html).toContain('GET https://example.com/x failed');
    expect(html).not.toMatch(/\s(src|href)\s*=/i);
  });

  it('lists every sheet in the timeline and the graph, and the counts per state', () => {
    const html = render(contents());
    for (const id of ['a', 'b']) {
      expect(html).toContain(`<g class="row" data-sheet="${id}"`);
      expect(html).toContain(`<g class="node sheet" data-sheet="${id}"`);
    }
    expect(html).toMatch(/<tr class="" data-state="failed">.*?<td class="n">1<\/td>/);
    expect(html).toMatch(/<tr class="zero" data-state="completed">.*?<td class="n">0<\/td>/);
    expect(html).toContain('held at a fermata for a decision: 400ms');
    expect(html).toMatch(/<section id="problems">[\s\S]*data-sheet="a"/);
    expect(html).not.toMatch(/<section id="problems">[\s\S]*data-sheet="b"/);
  });

  test.prop(
    [
      fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('<script>', '</title><img src=x>', '<!--', '"><svg onload=x>', ']]>')),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
    ],
    { numRuns: runs },
  )('no text from the checkpoint can add a tag to the page', (error, name) => {
    const html = render(contents({ error, name, detail: error }));
    expect([...tagsOf(html)].filter((t) => !OUR_TAGS.has(t))).toEqual([]);
  });

  it('keeps a 100,000-sheet report to a few MB, and says the timeline is cut', () => {
    const n = 100_000;
    const sheets: SheetRow[] = [];
    const attempts: AttemptRow[] = [];
    const events: SheetEventRow[] = [];
    for (let i = 1; i <= n; i++) {
      const id = `work.${i}`;
      sheets.push(sheetRow(id, { state: i % 10 === 0 ? 'failed' : 'completed', dispatches: 1, lastError: i % 10 === 0 ? `error of ${id}` : null, reason: i % 10 === 0 ? 'failed' : null }));
      attempts.push(attemptRow(id, 1, { startedAt: T0 + i, endedAt: T0 + i + 50, status: i % 10 === 0 ? 'failure' : 'success' }));
      events.push({ sheetId: id, at: T0 + i, state: 'running', until: null, detail: null });
    }
    const big = buildScore({ stages: [{ id: 'work', fanOut: n }, { id: 'sum', deps: ['work'] }] });
    const html = renderReport(
      reportData({ job: jobRow({ createdAt: T0, updatedAt: T0 + n + 50 }), sheets, attempts, events }, big, { now: T0 + n + 50 }),
    );
    expect(Buffer.byteLength(html)).toBeLessThan(3 * 1024 * 1024);
    expect(html).toContain(`The timeline shows the first 1000 of ${n} sheets`);
    expect(html).toContain('1 fan-out is drawn as one node each');
    expect(html).toContain('data-stage="work" data-members="100000"');
    expect(html).toContain('9800 more not listed.');
    expect(html).toMatch(/<tr class="" data-state="completed">.*?<td class="n">90000<\/td>/);
  });
});
