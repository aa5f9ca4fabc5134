import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

/** Stands in for an instrument the schema refused, so sheets naming it are not reported as naming nothing. */
const STAND_IN_INSTRUMENT = Object.freeze({ kind: 'command', command: ['true'] });

/**
 * A copy of a score that failed the schema with every refused part taken out, so that the
 * checks needing the whole score (dependencies, cycles, instruments, templates) can still
 * look at the rest and report what they find in the same pass. A refused field of a sheet,
 * of `defaults:` or of the score is dropped; a refused instrument is replaced by a
 * stand-in; a refused sheet id by one nothing can name. Returns undefined when the
 * score's shape is too broken for that (not a mapping, or `sheets` not a list).
 */
export function withoutRefusedParts(raw: unknown, issues: readonly Issue[]): Record<string, unknown> | undefined {
  if (!isMapping(raw) || !Array.isArray(raw.sheets)) return undefined;
  const score: Record<string, unknown> = { ...raw, sheets: raw.sheets.map((s: unknown) => (isMapping(s) ? { ...s } : s)) };
  if (isMapping(raw.instruments)) score.instruments = { ...raw.instruments };
  if (isMapping(raw.defaults)) score.defaults = { ...raw.defaults };
  for (const issue of issues) {
    const paths = issue.code === 'unrecognized_keys' ? issue.keys.map((key) => [...issue.path, key]) : [issue.path];
    for (const path of paths) if (!takeOut(score, path, issue.code === 'invalid_key')) return undefined;
  }
  return score;
}

/** Takes out what `path` points into; false when that part of the score cannot be done without. */
function takeOut(score: Record<string, unknown>, path: readonly PropertyKey[], badName: boolean): boolean {
  const [top, second, third] = path;
  if (typeof top !== 'string') return false;
  switch (top) {
    case 'version':
      score.version = 1;
      return true;
    case 'name':
      score.name = 'score';
      return true;
    case 'sheets': {
      const sheets = score.sheets as unknown[];
      if (typeof second !== 'number') return false;
      const sheet = sheets[second];
      if (!isMapping(sheet) || typeof third !== 'string') {
        sheets[second] = { id: unnameable(second) };
      } else if (third === 'id') {
        sheet.id = unnameable(second);
      } else if (third === 'fan_out') {
        // Members it may have are still named elsewhere: none of those names is reported as unknown.
        sheet.fan_out = Number.MAX_SAFE_INTEGER;
      } else if (third === 'depends_on') {
        sheet.depends_on = [];
      } else {
        delete sheet[third];
      }
      return true;
    }
    case 'instruments': {
      const instruments = score.instruments;
      if (!isMapping(instruments) || typeof second !== 'string') {
        score.instruments = {};
        return true;
      }
      if (badName && path.length === 2) delete instruments[second];
      else instruments[second] = STAND_IN_INSTRUMENT;
      return true;
    }
    case 'defaults':
      if (isMapping(score.defaults) && typeof second === 'string') delete score.defaults[second];
      else delete score.defaults;
      return true;
    default:
      delete score[top];
      return true;
  }
}

/** An id the schema accepts and no `depends_on` written by hand refers to. */
function unnameable(index: number): string {
  return `.refused-sheet-${index}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
