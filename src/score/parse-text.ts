import { parseDocument } from 'yaml';
import { ScoreError } from './errors.js';
import { errorMessage } from '../util/error-message.js';

/** YAML text as a plain value; a syntax error is a `ScoreError` naming its line and column. */
export function parseYaml(text: string): unknown {
  const doc = parseDocument(text, { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ScoreError(
      doc.errors.map((error) => {
        const pos = error.linePos?.[0];
        const message = error.message.split(' at line ')[0]!.split('\n')[0]!;
        return { path: pos === undefined ? '<file>' : `line ${pos.line}, column ${pos.col}`, message };
      }),
    );
  }
  try {
    return doc.toJS();
  } catch (e) {
    throw new ScoreError([{ path: '<file>', message: firstLine(e) }]);
  }
}

/** JSON text as a plain value; a syntax error is a `ScoreError` naming its line and column. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const reason = firstLine(e)
      .replace(/, ".*" is not valid JSON$/, '')
      .replace(/ in JSON at position \d+.*$/, '');
    throw new ScoreError([{ path: jsonErrorPath(text, firstLine(e)), message: `invalid JSON: ${reason}` }]);
  }
}

/** `line L, column C` of a JSON syntax error, found from its message or by the YAML parser. */
function jsonErrorPath(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  if (position !== null) {
    const before = text.slice(0, Number(position[1]));
    const lines = before.split('\n');
    return `line ${lines.length}, column ${lines[lines.length - 1]!.length + 1}`;
  }
  if (/end of JSON input/.test(message)) {
    const lines = text.split('\n');
    return `line ${lines.length}, column ${lines[lines.length - 1]!.length + 1}`;
  }
  const pos = parseDocument(text).errors[0]?.linePos?.[0];
  return pos === undefined ? '<file>' : `line ${pos.line}, column ${pos.col}`;
}

/** The first line of an error's message. */
export function firstLine(e: unknown): string {
  return errorMessage(e).split('\n')[0]!;
}
