/**
 * Runs a command on a real pseudo-terminal, as a user's shell would: its stdin, stdout and
 * stderr are the terminal, it leads the terminal's foreground process group, and a `\x03`
 * written to the terminal reaches it as SIGINT through the line discipline. Python's `pty`
 * module holds the terminal's other end (no native Node module needed); what the command
 * writes comes back byte for byte, escape sequences and all.
 */
import { spawn } from 'node:child_process';

/**
 * The relay run by python3: forks the command onto a new pty of the given size, copies
 * the pty's output to stdout and stdin to the pty, and exits with the command's status
 * (128 + signal when a signal ended it).
 */
const RELAY = String.raw`
import fcntl, os, pty, select, struct, sys, termios
columns, rows, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))
    os.execvp(argv[0], argv)
inputs = [fd, 0]
while True:
    readable, _, _ = select.select(inputs, [], [])
    if 0 in readable:
        data = os.read(0, 1024)
        if data:
            os.write(fd, data)
        else:
            inputs.remove(0)
    if fd in readable:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        os.write(1, data)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
`;

export interface TerminalRun {
  /** Types into the terminal (`\x03` is Ctrl-C). */
  type(text: string): void;
  /** Everything the command wrote to the terminal so far. */
  output(): string;
  /** The command's exit status and all it wrote, once it ended. */
  readonly exited: Promise<{ code: number | null; output: string }>;
}

export interface TerminalOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  columns?: number;
  rows?: number;
}

export function runInTerminal(argv: string[], options: TerminalOptions = {}): TerminalRun {
  const { columns = 160, rows = 50 } = options;
  const relay = spawn('python3', ['-c', RELAY, String(columns), String(rows), ...argv], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  relay.stdout.setEncoding('utf8');
  relay.stdout.on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; output: string }>((done, fail) => {
    relay.on('error', fail);
    relay.on('close', (code) => done({ code, output }));
  });
  return { type: (text) => relay.stdin.write(text), output: () => output, exited };
}
