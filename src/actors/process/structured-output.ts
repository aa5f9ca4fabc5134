/**
 * Reading an instrument's `output:` fields from the JSON an agent CLI prints on stdout. Only
 * the last {@link STRUCTURED_OUTPUT_MAX_BYTES} of stdout are looked at, so that a transcript of
 * any size before the result costs neither memory nor time.
 */
import { StreamScanner, type OutputScanRules, type StreamFindings, type StructuredFindings, type StructuredOutputRules } from './output-scan.js';

/** How much of the end of stdout holds the JSON result: a result must lie entirely within it. */
export const STRUCTURED_OUTPUT_MAX_BYTES = 8 * 1024 * 1024;

/** The longest message kept as an attempt's error text (the whole message is scanned for rate limits). */
const MESSAGE_MAX_CHARS = 300;

/** The rate-limit patterns the message is tested against, whatever streams they are for. */
type MessageRateLimitRules = OutputScanRules['rateLimit'];

/**
 * The findings of the end of stdout, `text`; `whole` tells whether `text` is all of stdout
 * (else its first line may be cut, and is never read).
 */
export function readStructuredOutput(
  text: string,
  whole: boolean,
  rules: StructuredOutputRules,
  rateLimit: MessageRateLimitRules | undefined,
): StructuredFindings {
  const object = rules.format === 'json' ? lastJsonDocument(text, whole) : lastJsonLine(text, whole);
  if (object === undefined) return { problem: noObject(text, whole, rules.format) };
  return readFields(object, rules, rateLimit);
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `json`: the object that ends stdout (only whitespace after it) and begins a line of its
 * own, pretty-printed over many lines or not. The candidates are tried from the last line
 * that starts with `{` backwards: a nested object's line cannot parse to the end, since the
 * closing brace of the object around it follows, so the first that parses is the outermost.
 */
function lastJsonDocument(text: string, whole: boolean): JsonObject | undefined {
  const end = text.trimEnd();
  if (!end.endsWith('}')) return undefined;
  for (let lineEnd = end.length; lineEnd > 0; ) {
    const newline = end.lastIndexOf('\n', lineEnd - 1);
    if (newline < 0 && !whole) return undefined;
    const lineStart = newline + 1;
    const at = firstNonBlank(end, lineStart, lineEnd);
    if (end[at] === '{') {
      const object = parseObject(end.slice(at));
      if (object !== undefined) return object;
    }
    lineEnd = newline < 0 ? 0 : newline;
  }
  return undefined;
}

function firstNonBlank(text: string, from: number, to: number): number {
  let at = from;
  while (at < to && /\s/.test(text[at]!)) at++;
  return at;
}

/** `jsonl`: the last line that parses as a JSON object. */
function lastJsonLine(text: string, whole: boolean): JsonObject | undefined {
  let end = text.length;
  while (end > 0) {
    const newline = text.lastIndexOf('\n', end - 1);
    if (newline < 0 && !whole) return undefined;
    const line = text.slice(newline + 1, end).trim();
    if (line.startsWith('{')) {
      const object = parseObject(line);
      if (object !== undefined) return object;
    }
    end = newline < 0 ? 0 : newline;
  }
  return undefined;
}

function noObject(text: string, whole: boolean, format: StructuredOutputRules['format']): string {
  const where = whole ? '' : ` in its last ${STRUCTURED_OUTPUT_MAX_BYTES / (1024 * 1024)} MiB`;
  if (whole && text.trim() === '') return 'output: no JSON object on stdout (stdout is empty)';
  return format === 'json'
    ? `output: no JSON object at the end of stdout${where} (format json: the result is the last thing printed, starting on a line of its own)`
    : `output: no line of stdout${where} parses as a JSON object (format jsonl)`;
}

/** The value at a dotted path (`usage.total_cost_usd`, `results.0.cost`): own properties and array indexes only. */
function valueAt(object: JsonObject, path: string): unknown {
  let value: unknown = object;
  for (const key of path.split('.')) {
    if (Array.isArray(value) && /^\d+$/.test(key)) value = value[Number(key)];
    else if (isObject(value) && Object.hasOwn(value, key)) value = value[key];
    else return undefined;
  }
  return value;
}

function readFields(object: JsonObject, rules: StructuredOutputRules, rateLimit: MessageRateLimitRules | undefined): StructuredFindings {
  const found: StructuredFindings = {};
  const problems: string[] = [];
  const field = <T>(name: string, path: string | undefined, expected: string, accept: (value: unknown) => value is T): T | undefined => {
    if (path === undefined) return undefined;
    const value = valueAt(object, path);
    if (value === undefined || value === null) return undefined;
    if (accept(value)) return value;
    problems.push(`output: ${path} (output.${name}) is ${shown(value)}, not ${expected}`);
    return undefined;
  };
  const cost = field('cost', rules.cost, 'a number >= 0', isAmount);
  if (cost !== undefined) found.costUsd = cost;
  const failed = field('failed', rules.failed, 'a boolean', (v): v is boolean => typeof v === 'boolean');
  if (failed !== undefined) found.failed = failed;
  const message = field('message', rules.message, 'a string', (v): v is string => typeof v === 'string');
  if (message !== undefined && message.trim() !== '') {
    found.message = oneLine(message);
    if (rateLimit !== undefined) found.rateLimit = scanMessage(message, rateLimit);
  }
  const retryAfter = field('retry_after', rules.retryAfter, 'a number of seconds >= 0', isAmount);
  if (retryAfter !== undefined) found.retryAfterS = retryAfter;
  if (problems.length > 0) found.problem = problems.join('; ');
  return found;
}

function isAmount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** A value as JSON, cut short: enough to recognise it in an error. */
function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MESSAGE_MAX_CHARS ? `${line.slice(0, MESSAGE_MAX_CHARS - 1)}…` : line;
}

/** The rate-limit patterns over the whole message, a line at a time as over a stream. */
function scanMessage(message: string, rules: NonNullable<MessageRateLimitRules>): StreamFindings {
  const scanner = new StreamScanner({ rateLimit: { ...rules, streams: ['stdout'] } }, 'stdout');
  scanner.write(message);
  scanner.end();
  return scanner.rateLimit;
}
