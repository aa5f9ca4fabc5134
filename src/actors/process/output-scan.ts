/**
 * Scanning an attempt's whole output for what the judge reads in it (`cost_pattern`,
 * `rate_limit`), in bounded memory: a line at a time, and a line longer than
 * {@link SCAN_PIECE_CHARS} in overlapping pieces. Only the match that counts is kept.
 */

/** A regular expression as plain data, so that it crosses the channel to a spawner helper. */
export interface PatternSource {
  source: string;
  flags: string;
}

export type OutputStream = 'stdout' | 'stderr';

/** What to look for in an attempt's output; patterns are tested against one line at a time. */
export interface OutputScanRules {
  /** Looked for on stdout: the first capture group of its last valid match is the attempt's cost in USD. */
  cost?: PatternSource;
  /**
   * Looked for on each of `streams`, case-insensitively: whether any of `patterns` matches,
   * and the first capture group of the last valid match of `retryAfter` (seconds).
   */
  rateLimit?: { patterns: PatternSource[]; retryAfter?: PatternSource; streams: OutputStream[] };
  /** The instrument's `output:` block: fields read from the JSON result at the end of stdout. */
  output?: StructuredOutputRules;
}

/** An instrument's `output:` block, its dotted paths as written. */
export interface StructuredOutputRules {
  format: 'json' | 'jsonl';
  cost?: string;
  failed?: string;
  message?: string;
  retryAfter?: string;
}

/** What one scanned stream said about a rate limit. */
export interface StreamFindings {
  rateLimited: boolean;
  /** The first capture group of the last `retryAfter` match that is a finite number >= 0. */
  retryAfterS?: number;
}

/** What the whole output said, by the rules it was scanned with. */
export interface OutputFindings {
  /** The first capture group of the last `cost` match on stdout that is a finite number >= 0. */
  costUsd?: number;
  /** One entry per stream of `rateLimit.streams`. */
  rateLimit?: Partial<Record<OutputStream, StreamFindings>>;
  /** What the JSON result said, by the rules' `output`. */
  structured?: StructuredFindings;
}

/** What the JSON result said; a field absent (or `null`) in it is absent here. */
export interface StructuredFindings {
  costUsd?: number;
  failed?: boolean;
  /** On one line, cut short (the whole message is scanned for rate limits). */
  message?: string;
  retryAfterS?: number;
  /** What `rate_limit.patterns` and `rate_limit.retry_after` found in the whole message. */
  rateLimit?: StreamFindings;
  /** Why the result could not be read (no JSON object, a field of the wrong type): the attempt fails for it. */
  problem?: string;
}

/** Longest piece of a line tested at once; a longer line is tested in pieces this long. */
export const SCAN_PIECE_CHARS = 64 * 1024;
/**
 * In a piece that does not start (end) the line, a match counts only if it starts (ends) at
 * least this far inside it; consecutive pieces overlap by three times this. So every match up
 * to this long is seen whole, with at least this much context on each side for lookarounds.
 */
export const SCAN_MARGIN_CHARS = 4 * 1024;
const PIECE_STEP = SCAN_PIECE_CHARS - 3 * SCAN_MARGIN_CHARS;

/** The rules' patterns, compiled once per stream; throws on a source that is no regular expression. */
interface CompiledRules {
  cost: RegExp | undefined;
  patterns: RegExp[];
  retryAfter: RegExp | undefined;
  /** The same patterns over many lines at once (`m`), to skip lines none can match; absent when that is unsound. */
  skim: { cost: RegExp | undefined; patterns: RegExp[]; retryAfter: RegExp | undefined } | undefined;
}

function compile(rules: OutputScanRules, stream: OutputStream): CompiledRules {
  const limits = rules.rateLimit !== undefined && rules.rateLimit.streams.includes(stream) ? rules.rateLimit : undefined;
  const cost = stream === 'stdout' ? rules.cost : undefined;
  const patterns = limits?.patterns ?? [];
  const retryAfter = limits?.retryAfter;
  const all = [cost, retryAfter, ...patterns].filter((pattern) => pattern !== undefined);
  return {
    cost: cost !== undefined ? regex(cost, 'g') : undefined,
    patterns: patterns.map((pattern) => regex(pattern, 'gi')),
    retryAfter: retryAfter !== undefined ? regex(retryAfter, 'gi') : undefined,
    // A match within a line is a match within the lines around it when `^` and `$` also match
    // at newlines; a negative lookaround may see a newline where a line had its end, so such
    // patterns are tested line by line only.
    skim: all.some((pattern) => NEGATIVE_LOOKAROUND.test(pattern.source))
      ? undefined
      : {
          cost: cost !== undefined ? regex(cost, 'm') : undefined,
          patterns: patterns.map((pattern) => regex(pattern, 'im')),
          retryAfter: retryAfter !== undefined ? regex(retryAfter, 'im') : undefined,
        },
  };
}

const NEGATIVE_LOOKAROUND = /\(\?<?!/;

// `y` would anchor each search at lastIndex; the scanner finds matches anywhere in a line and
// keeps its own `lastIndex` (`g`) where it needs one.
function regex({ source, flags }: PatternSource, add: string): RegExp {
  let kept = '';
  for (const flag of flags) if (flag !== 'y' && flag !== 'g' && !add.includes(flag)) kept += flag;
  return new RegExp(source, kept + add);
}

/** Whether `value` is a well-formed `OutputScanRules` whose patterns all compile. */
export function isOutputScanRules(value: unknown): value is OutputScanRules {
  if (!isRecord(value)) return false;
  const { cost, rateLimit, output } = value;
  if (cost !== undefined && !isPattern(cost)) return false;
  if (output !== undefined && !isStructuredOutputRules(output)) return false;
  if (rateLimit === undefined) return true;
  return (
    isRecord(rateLimit) &&
    Array.isArray(rateLimit.patterns) &&
    rateLimit.patterns.every(isPattern) &&
    (rateLimit.retryAfter === undefined || isPattern(rateLimit.retryAfter)) &&
    Array.isArray(rateLimit.streams) &&
    rateLimit.streams.every((stream) => stream === 'stdout' || stream === 'stderr')
  );
}

function isStructuredOutputRules(value: unknown): value is StructuredOutputRules {
  if (!isRecord(value) || (value.format !== 'json' && value.format !== 'jsonl')) return false;
  return [value.cost, value.failed, value.message, value.retryAfter].every((path) => path === undefined || typeof path === 'string');
}

function isPattern(value: unknown): value is PatternSource {
  if (!isRecord(value) || typeof value.source !== 'string' || typeof value.flags !== 'string') return false;
  try {
    regex({ source: value.source, flags: value.flags }, 'g');
    return true;
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The streams `rules` asks to scan. */
export function scannedStreams(rules: OutputScanRules): OutputStream[] {
  const streams = new Set<OutputStream>(rules.rateLimit?.streams ?? []);
  if (rules.cost !== undefined) streams.add('stdout');
  return (['stdout', 'stderr'] as const).filter((stream) => streams.has(stream));
}

/** A value and where its match started in the stream, so that the last one wins whatever piece found it. */
interface Found {
  value: number;
  at: number;
}

/**
 * Scans one stream, fed in chunks of bytes (UTF-8) as they come. It retains at most the part
 * of the current line not yet tested ({@link retainedChars} <= {@link SCAN_PIECE_CHARS}) and the
 * matches that count: the last valid cost, whether a rate-limit pattern matched, the last valid
 * retry-after.
 */
export class StreamScanner {
  private readonly compiled: CompiledRules;
  private readonly decoder = new TextDecoder('utf-8');
  /** The current line's text not yet tested in full. */
  private pending = '';
  /** Where `pending` starts in the stream (characters). */
  private offset = 0;
  /** Whether `pending` starts at the start of its line. */
  private atLineStart = true;
  private cost: Found | undefined;
  private retryAfter: Found | undefined;
  private rateLimited = false;

  constructor(
    rules: OutputScanRules,
    readonly stream: OutputStream,
  ) {
    this.compiled = compile(rules, stream);
  }

  /** Characters of the current line held until it ends or fills a piece. */
  get retainedChars(): number {
    return this.pending.length;
  }

  /** The next chunk of the stream: bytes (UTF-8, a character may be split across chunks) or text. */
  write(chunk: Uint8Array | string): void {
    this.text(typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }));
  }

  /** The end of the stream: the last line is tested even without a newline. */
  end(): void {
    this.text(this.decoder.decode());
    if (this.pending !== '' || !this.atLineStart) this.endLine();
  }

  /** The cost found so far (stdout only). */
  get costUsd(): number | undefined {
    return this.cost?.value;
  }

  /** What the stream said about a rate limit so far. */
  get rateLimit(): StreamFindings {
    return { rateLimited: this.rateLimited, ...(this.retryAfter !== undefined && { retryAfterS: this.retryAfter.value }) };
  }

  private text(chunk: string): void {
    let from = 0;
    let skimmed = false;
    while (from < chunk.length) {
      if (!skimmed && this.pending === '' && this.atLineStart) {
        skimmed = true;
        from = this.skim(chunk, from);
        continue;
      }
      const newline = chunk.indexOf('\n', from);
      this.pending += chunk.slice(from, newline < 0 ? chunk.length : newline);
      while (this.pending.length > SCAN_PIECE_CHARS) {
        this.test(this.pending.slice(0, SCAN_PIECE_CHARS), false);
        this.pending = this.pending.slice(PIECE_STEP);
        this.offset += PIECE_STEP;
        this.atLineStart = false;
      }
      if (newline < 0) return;
      this.endLine();
      this.offset += 1;
      from = newline + 1;
    }
  }

  /**
   * Skips the whole lines of `chunk` from `from` on when no pattern still needed can match
   * any of them; returns where line-by-line testing resumes. Once per chunk, so that a match
   * in its lines costs one extra pass over them.
   */
  private skim(chunk: string, from: number): number {
    const skim = this.compiled.skim;
    const last = chunk.lastIndexOf('\n');
    if (skim === undefined || last < from) return from;
    const lines = chunk.slice(from, last);
    const needed =
      (skim.cost !== undefined && skim.cost.test(lines)) ||
      (skim.retryAfter !== undefined && skim.retryAfter.test(lines)) ||
      (!this.rateLimited && skim.patterns.some((re) => re.test(lines)));
    if (needed) return from;
    this.offset += last + 1 - from;
    return last + 1;
  }

  private endLine(): void {
    this.test(this.pending, true);
    this.offset += this.pending.length;
    this.pending = '';
    this.atLineStart = true;
  }

  /** Tests one piece of a line; `lineEnds`: the piece reaches the end of its line. */
  private test(piece: string, lineEnds: boolean): void {
    const from = this.atLineStart ? 0 : SCAN_MARGIN_CHARS;
    const to = lineEnds ? piece.length : piece.length - SCAN_MARGIN_CHARS;
    const { cost, patterns, retryAfter } = this.compiled;
    if (cost !== undefined) this.cost = this.lastValid(cost, piece, from, to, this.cost);
    if (retryAfter !== undefined) this.retryAfter = this.lastValid(retryAfter, piece, from, to, this.retryAfter);
    if (!this.rateLimited) this.rateLimited = patterns.some((re) => matchesWithin(re, piece, from, to));
  }

  private lastValid(re: RegExp, piece: string, from: number, to: number, found: Found | undefined): Found | undefined {
    let last = found;
    re.lastIndex = 0;
    for (let match = re.exec(piece); match !== null; match = re.exec(piece)) {
      if (match[0] === '') re.lastIndex++;
      const end = match.index + match[0].length;
      if (match.index < from || end > to) continue;
      const value = parseNumber(match[1]);
      const at = this.offset + match.index;
      if (value !== undefined && (last === undefined || at >= last.at)) last = { value, at };
    }
    return last;
  }
}

function matchesWithin(re: RegExp, piece: string, from: number, to: number): boolean {
  re.lastIndex = 0;
  for (let match = re.exec(piece); match !== null; match = re.exec(piece)) {
    if (match[0] === '') re.lastIndex++;
    if (match.index >= from && match.index + match[0].length <= to) return true;
  }
  return false;
}

/** Leading decimal number of a capture (`"30"`, `"1.5"`, `"0.25."`); anything else is no value. */
function parseNumber(capture: string | undefined): number | undefined {
  if (capture === undefined) return undefined;
  const value = Number.parseFloat(capture.trim());
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The findings of scanners that have seen their whole streams. */
export function findingsOf(rules: OutputScanRules, scanners: StreamScanner[]): OutputFindings {
  const findings: OutputFindings = {};
  for (const scanner of scanners) {
    const cost = scanner.costUsd;
    if (cost !== undefined) findings.costUsd = cost;
    if (rules.rateLimit?.streams.includes(scanner.stream) === true) {
      findings.rateLimit = { ...findings.rateLimit, [scanner.stream]: scanner.rateLimit };
    }
  }
  return findings;
}

/** Scans streams held whole in memory (an outcome's tails) by the same rules. */
export function scanTexts(rules: OutputScanRules, texts: Partial<Record<OutputStream, string>>): OutputFindings {
  const scanners = scannedStreams(rules).map((stream) => {
    const scanner = new StreamScanner(rules, stream);
    scanner.write(texts[stream] ?? '');
    scanner.end();
    return scanner;
  });
  return findingsOf(rules, scanners);
}
