/** `1 sheet`, `2 sheets`, `0 sheets`: a count with its noun, for nouns whose plural adds an s. */
export function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
