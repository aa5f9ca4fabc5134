import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  SCAN_MARGIN_CHARS,
  SCAN_PIECE_CHARS,
  scanTexts,
  StreamScanner,
  type OutputScanRules,
} from '../../src/actors/process/output-scan.js';

const rules: OutputScanRules = {
  cost: { source: 'cost=([0-9.]+)', flags: '' },
  rateLimit: {
    patterns: [{ source: 'rate limit', flags: '' }],
    retryAfter: { source: 'retry after (\\S+)', flags: '' },
    streams: ['stdout', 'stderr'],
  },
};

/** Scans `text` fed in `chunks` of its UTF-8 bytes cut at the given points. */
function scanBytes(text: string, cuts: number[], stream: 'stdout' | 'stderr' = 'stdout'): StreamScanner {
  const bytes = Buffer.from(text, 'utf8');
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const scanner = new StreamScanner(rules, stream);
  let from = 0;
  for (const point of [...points, bytes.length]) {
    scanner.write(bytes.subarray(from, point));
    from = point;
  }
  scanner.end();
  return scanner;
}

/** What counts, found by testing each whole line with plain RegExps. */
function reference(text: string) {
  let cost: number | undefined;
  let retryAfter: number | undefined;
  let rateLimited = false;
  const valid = (capture: string | undefined) => {
    const value = Number.parseFloat(capture ?? '');
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  for (const line of text.split('\n')) {
    for (const match of line.matchAll(/cost=([0-9.]+)/g)) cost = valid(match[1]) ?? cost;
    for (const match of line.matchAll(/retry after (\S+)/gi)) retryAfter = valid(match[1]) ?? retryAfter;
    rateLimited ||= /rate limit/i.test(line);
  }
  return { cost, retryAfter, rateLimited };
}

const token = fc.constantFrom('a', ' ', 'x', '\n', '\n', 'cost=', '0', '1.5', '.', '7', 'é', '😀', 'rate ', 'limit', 'RATE LIMIT', 'retry after ', 'soon');

describe('StreamScanner', () => {
  test.prop([fc.array(token, { maxLength: 300 }).map((tokens) => tokens.join('')), fc.array(fc.nat(), { maxLength: 20 })])(
    'finds what testing each whole line finds, however the bytes are chunked (characters split included)',
    (text, cuts) => {
      const scanner = scanBytes(text, cuts);
      const expected = reference(text);
      expect(scanner.costUsd).toBe(expected.cost);
      expect(scanner.rateLimit).toEqual({
        rateLimited: expected.rateLimited,
        ...(expected.retryAfter !== undefined && { retryAfterS: expected.retryAfter }),
      });
    },
  );

  const step = SCAN_PIECE_CHARS - 3 * SCAN_MARGIN_CHARS;
  const nearBoundary = fc
    .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: -SCAN_MARGIN_CHARS - 8, max: SCAN_MARGIN_CHARS + 8 }))
    .map(([piece, delta]) => Math.max(0, piece * step + delta));
  const position = fc.oneof(fc.integer({ min: 0, max: 6 * step }), nearBoundary);

  // A pattern that also matches a suffix of its match: a piece starting inside one must not count it.
  const usd: OutputScanRules = { cost: { source: '([0-9.]+) USD', flags: '' } };

  test.prop([position, fc.integer({ min: 1, max: SCAN_MARGIN_CHARS - '0. USD'.length }), fc.integer({ min: 0, max: 3 })], {
    numRuns: 80,
  })('in a line longer than a piece, sees every match up to SCAN_MARGIN_CHARS long whole, and the last one counts', (at, digits, cutEvery) => {
    const value = `0.${'3'.repeat(digits - 1)}7`;
    // An earlier match, which the later one replaces.
    const text = `9 USD ${'x'.repeat(at)}${value} USD${'x'.repeat(2 * SCAN_PIECE_CHARS)}`;
    const scanner = new StreamScanner(usd, 'stdout');
    const size = cutEvery * 10_000;
    for (let from = 0; from < text.length; from += size || text.length) scanner.write(text.slice(from, from + (size || text.length)));
    scanner.end();
    expect(scanner.costUsd).toBe(Number.parseFloat(value));
  });

  it('retains at most one piece of the current line, whatever the output (100 MB as one line and as many)', () => {
    for (const chunk of [Buffer.alloc(64 * 1024, 'x'), Buffer.from('a line of an agent transcript\n'.repeat(2000))]) {
      const scanner = new StreamScanner(rules, 'stderr');
      scanner.write('rate limit; retry after 12\n');
      let retained = 0;
      for (let written = 0; written < 100_000_000; written += chunk.length) {
        scanner.write(chunk);
        retained = Math.max(retained, scanner.retainedChars);
      }
      scanner.end();
      expect(retained).toBeLessThanOrEqual(SCAN_PIECE_CHARS);
      expect(scanner.rateLimit).toEqual({ rateLimited: true, retryAfterS: 12 });
    }
  });

  it('tests patterns against one line at a time: a match cannot span a newline', () => {
    const spanning: OutputScanRules = { rateLimit: { patterns: [{ source: 'rate\\slimit', flags: '' }], streams: ['stderr'] } };
    expect(scanTexts(spanning, { stderr: 'rate\nlimit\n' }).rateLimit).toEqual({ stderr: { rateLimited: false } });
    expect(scanTexts(spanning, { stderr: 'x\nrate limit\n' }).rateLimit).toEqual({ stderr: { rateLimited: true } });
  });

  it('keeps a retry-after found on a line before the rate-limit line', () => {
    expect(scanTexts(rules, { stderr: 'retry after 5\nworking\nRate limit reached\nmore\n' }).rateLimit).toEqual({
      stdout: { rateLimited: false },
      stderr: { rateLimited: true, retryAfterS: 5 },
    });
  });

  it('anchors ^ and $ at the start and end of each line', () => {
    const anchored: OutputScanRules = { cost: { source: '^cost=([0-9.]+)$', flags: '' } };
    expect(scanTexts(anchored, { stdout: 'say cost=1\ncost=2\ncost=3 later\nx' }).costUsd).toBe(2);
  });

  it('tests a pattern with a negative lookaround line by line, a line end being no character', () => {
    const lookahead: OutputScanRules = { rateLimit: { patterns: [{ source: 'rate limit(?!\\n| test)', flags: '' }], streams: ['stderr'] } };
    expect(scanTexts(lookahead, { stderr: 'rate limit test\n' }).rateLimit).toEqual({ stderr: { rateLimited: false } });
    expect(scanTexts(lookahead, { stderr: 'ok\nrate limit\nok\n' }).rateLimit).toEqual({ stderr: { rateLimited: true } });
  });

  it('ignores a `g` or `y` flag given with a pattern, and scans cost on stdout only', () => {
    const flagged: OutputScanRules = { cost: { source: 'cost=([0-9.]+)', flags: 'gy' } };
    expect(scanTexts(flagged, { stdout: 'a cost=1 b cost=2\n', stderr: 'cost=5' })).toEqual({ costUsd: 2 });
  });
});
