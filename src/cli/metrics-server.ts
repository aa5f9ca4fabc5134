import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { InvalidArgumentError } from 'commander';
import { realClock } from '../runtime/clock.js';
import type { Conductor } from '../runtime/conductor.js';
import { attachMetrics, type MetricsAttachment } from '../observe/metrics/attach.js';
import { PrometheusRecorder } from '../observe/metrics/prometheus.js';
import { durationMs } from '../score/duration.js';
import { EXIT } from './exit-codes.js';
import { errorMessage } from '../util/error-message.js';

const HOST = '127.0.0.1';

/** The `/metrics` endpoint of one `baton run` or `baton resume`. */
export interface MetricsEndpoint {
  /** Resolves once every event of the run has been recorded (after the conductor's shutdown). */
  recorded(): Promise<void>;
  /**
   * Stops serving. With `lingerMs` > 0 it first keeps serving until `/metrics` has been
   * read once more, `lingerMs` passed, or Ctrl-C: a short job's final values can still be
   * scraped.
   */
  close(lingerMs: number): Promise<void>;
}

const NOT_ASKED: MetricsEndpoint = {
  recorded: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/**
 * Serves the conductor's metrics on 127.0.0.1 when `metricsPort` is given, and says where
 * on `err`. Returns the exit status if the port cannot be listened on: nothing has run.
 */
export async function serveMetricsIfAsked(
  conductor: Conductor,
  flags: { metricsPort?: number },
  err: NodeJS.WritableStream,
): Promise<MetricsEndpoint | number> {
  if (flags.metricsPort === undefined) return NOT_ASKED;
  const recorder = new PrometheusRecorder({ processMetrics: true });
  let lingering: (() => void) | undefined;
  const server = createServer((request, response) => {
    void respond(recorder, request, response, () => lingering?.());
  });
  try {
    await listen(server, flags.metricsPort);
  } catch (error) {
    err.write(`baton: --metrics-port ${flags.metricsPort}: ${listenProblem(error, flags.metricsPort)}\n`);
    return EXIT.usage;
  }
  // The job keeps the process alive, not the server: an error on the way out cannot hang it.
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : flags.metricsPort;
  err.write(`baton: metrics at http://${HOST}:${port}/metrics\n`);
  const attachment: MetricsAttachment = attachMetrics(conductor, recorder);

  return {
    recorded: () => attachment.ended,
    async close(lingerMs) {
      await attachment.ended;
      if (lingerMs > 0) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            timer.unsubscribe();
            process.off('SIGINT', done);
            process.off('SIGTERM', done);
            lingering = undefined;
            resolve();
          };
          const timer = realClock.schedule(done, lingerMs);
          process.on('SIGINT', done);
          process.on('SIGTERM', done);
          lingering = done;
        });
      }
      attachment();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function respond(recorder: PrometheusRecorder, request: IncomingMessage, response: ServerResponse, scraped: () => void): Promise<void> {
  const path = (request.url ?? '/').split('?', 1)[0];
  if (path !== '/metrics') {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are served at /metrics\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('only GET and HEAD\n');
    return;
  }
  try {
    const body = await recorder.metrics();
    response.writeHead(200, { 'content-type': recorder.contentType });
    // Only once the final values are on their way may a lingering server close.
    response.end(request.method === 'HEAD' ? undefined : body, scraped);
  } catch (error) {
    const message = errorMessage(error);
    response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${message}\n`);
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function listenProblem(error: unknown, port: number): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return `${HOST}:${port} is already in use`;
  if (code === 'EACCES') return `not allowed to listen on ${HOST}:${port}`;
  return errorMessage(error);
}

/** Commander argument parser for `--metrics-linger`: a duration as in the score (`30s`, `1m`). */
export function lingerDuration(value: string): number {
  const ms = durationMs(value);
  if (ms === null) throw new InvalidArgumentError('expected a duration such as 30s or 2m');
  return ms;
}
