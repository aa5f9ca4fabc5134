import { FERMATA_DECISIONS } from '../machines/types.js';

/** Characters a POSIX shell takes literally: a word of only these needs no quotes. */
const PLAIN_WORD = /^[A-Za-z0-9_./:@%+=,-]+$/;

/**
 * A `baton` command line the user can paste, in backquotes, with the score path as they typed
 * it (quoted only if a shell needs it).
 */
export function batonCommand(...words: string[]): string {
  return `\`${commandLine(words)}\``;
}

/** The command that resolves the fermata of `sheetId`, its choices written `retry|skip|fail|accept`. */
export function decideCommandFor(scorePath: string, sheetId: string): string {
  return `\`${commandLine(['decide', scorePath, sheetId])} ${FERMATA_DECISIONS.join('|')}\``;
}

function commandLine(words: readonly string[]): string {
  return ['baton', ...words.map(shellWord)].join(' ');
}

function shellWord(word: string): string {
  return PLAIN_WORD.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
