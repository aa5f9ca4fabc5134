import type { z } from 'zod';
import { formatPath, type ScoreProblem } from './errors.js';

type Issue = z.core.$ZodIssue;

/** Turns zod issues into score problems worded for the person who wrote the file. */
export function issuesToProblems(issues: readonly Issue[]): ScoreProblem[] {
  const problems: ScoreProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: `unknown field "${key}"` });
      }
    } else {
      problems.push({ path: formatPath(issue.path), message: messageOf(issue) });
    }
  }
  return problems;
}

function messageOf(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `required (expected ${expectedName(issue.expected)})`;
      return `expected ${expectedName(issue.expected)}, got ${describe(issue.input)}`;
    case 'invalid_value': {
      const expected =
        issue.values.length === 1
          ? show(issue.values[0])
          : `one of ${issue.values.map(show).join(', ')}`;
      if (issue.input === undefined) return `required (expected ${expected})`;
      return `expected ${expected}, got ${describe(issue.input)}`;
    }
    case 'too_small':
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_union':
      if (issue.discriminator !== undefined) return badDiscriminator(issue);
      return issue.message;
    case 'invalid_key': {
      const key = issue.path[issue.path.length - 1];
      const inner = issue.issues.map(messageOf).join('; ');
      return `invalid name ${show(String(key))}: ${inner}`;
    }
    default:
      return issue.message;
  }
}

function badDiscriminator(issue: Extract<Issue, { code: 'invalid_union' }>): string {
  const key = issue.discriminator!;
  const options = 'options' in issue && issue.options !== undefined ? issue.options : [];
  const expected = `expected ${options.map(show).join(' or ')}`;
  const input = issue.input;
  const value =
    typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[key] : undefined;
  if (value === undefined) return `required (${expected})`;
  return `unknown ${key} ${show(value)}: ${expected}`;
}

function tooSmall(origin: string, min: number, inclusive: boolean): string {
  switch (origin) {
    case 'array':
      return `must have at least ${min} item${min === 1 ? '' : 's'}`;
    case 'string':
      return min === 1 ? 'must not be empty' : `must be at least ${min} characters long`;
    default:
      return inclusive ? `must be at least ${min}` : `must be greater than ${min}`;
  }
}

function tooBig(origin: string, max: number, inclusive: boolean): string {
  switch (origin) {
    case 'array':
      return `must have at most ${max} item${max === 1 ? '' : 's'}`;
    case 'string':
      return `must be at most ${max} characters long`;
    default:
      return inclusive ? `must be at most ${max}` : `must be less than ${max}`;
  }
}

const EXPECTED_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  function: 'a function',
};

function expectedName(expected: string): string {
  return EXPECTED_NAMES[expected] ?? expected;
}

function describe(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${show(value)}`;
    case 'number':
      return Number.isInteger(value) ? `the integer ${value}` : `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'a mapping';
    case 'function':
      return 'a function';
    default:
      return typeof value;
  }
}

function show(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
}
