/**
 * What a terminal shows after a stream of output: a small emulator for the sequences
 * baton writes (cursor up to a line start, erase a line) and the line ends a pty makes.
 * The screen grows downwards without scrolling, so nothing written is lost from view
 * unless something erased or overwrote it. A sequence it does not know is an error, so a
 * test never passes by ignoring what a real terminal would do.
 */
export function finalScreen(output: string, columns = 160): string[] {
  const lines: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (): string[] => (lines[row] ??= []);
  for (let i = 0; i < output.length; i++) {
    const c = output[i]!;
    if (c === '\x1b') {
      const match = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(output.slice(i));
      if (match === null) throw new Error(`unknown escape sequence at ${i}: ${JSON.stringify(output.slice(i, i + 8))}`);
      i += match[0].length - 1;
      const n = match[1] === '' ? 1 : Number(match[1]);
      switch (match[2]) {
        case 'm':
          break;
        case 'F':
          row = Math.max(0, row - n);
          col = 0;
          break;
        case 'A':
          row = Math.max(0, row - n);
          break;
        case 'K':
          if (match[1] === '2') lines[row] = [];
          else if (match[1] === '' || match[1] === '0') line().length = Math.min(line().length, col);
          else throw new Error(`unknown erase ${match[0]}`);
          break;
        default:
          throw new Error(`unknown escape sequence ${JSON.stringify(match[0])}`);
      }
    } else if (c === '\r') {
      col = 0;
    } else if (c === '\n') {
      row++;
    } else if (c === '\b') {
      col = Math.max(0, col - 1);
    } else {
      if (col >= columns) {
        row++;
        col = 0;
      }
      const current = line();
      while (current.length < col) current.push(' ');
      current[col++] = c;
    }
  }
  for (let r = 0; r < lines.length; r++) lines[r] ??= [];
  return lines.map((l) => l.join('').trimEnd());
}
