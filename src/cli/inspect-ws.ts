import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { InspectionEvent, Observer } from 'xstate';
import { realClock } from '../runtime/clock.js';

/** The path the run's own inspector connects on; every other connection is a viewer. */
const SOURCE_PATH = '/source';
/** A viewer that connects late first gets this many of the latest messages. */
const REPLAY = 1000;
/** Lets the inspector finish the conversions it deferred to a timer before it is stopped. */
const SETTLE_MS = 50;
const CLOSE_WAIT_MS = 2000;

export interface InspectWs {
  /** `ws://127.0.0.1:<port>`: where viewers connect. */
  url: string;
  /** Pass to the conductor: every inspection event goes out as a Stately inspection message. */
  inspect: Observer<InspectionEvent>;
  /** Sends what is pending, then closes every connection and the server. */
  close(): Promise<void>;
}

/**
 * Serves the run's inspection on the loopback interface, the way `@statelyai/inspect`
 * is built: the run's WebSocket inspector is a client of a relay that passes its messages
 * on to every other client (a browser bridge, a script). `GET /` serves a page that shows
 * them in the Stately inspector. Reports a port it cannot take on `err` and returns null.
 */
export async function openInspectWs(port: number, err: NodeJS.WritableStream): Promise<InspectWs | null> {
  const http = createServer(bridgePage);
  const listening = await new Promise<AddressInfo | Error>((resolve) => {
    http.once('error', resolve);
    http.listen(port, '127.0.0.1', () => resolve(http.address() as AddressInfo));
  });
  if (listening instanceof Error) {
    err.write(`baton: --inspect-ws ${port}: cannot listen on 127.0.0.1:${port} (${listening.message})\n`);
    return null;
  }
  // Attached once listening: a failed listen is reported above, not raised again by the relay.
  const relay = new WebSocketServer({ server: http });
  const url = `ws://127.0.0.1:${listening.port}`;

  const replay: string[] = [];
  let source: WebSocket | undefined;
  const sourceConnected = new Promise<void>((resolve) => {
    relay.on('connection', (socket: WebSocket, request: IncomingMessage) => {
      if (request.url === SOURCE_PATH) {
        source = socket;
        resolve();
      } else {
        for (const message of replay) socket.send(message);
      }
      // A misbehaving client is dropped; it must not take the run down with it.
      socket.on('error', () => socket.terminate());
      socket.on('message', (data: RawData) => {
        const message = data.toString();
        replay.push(message);
        if (replay.length > REPLAY) replay.shift();
        for (const client of relay.clients) if (client !== socket && client.readyState === WebSocket.OPEN) client.send(message);
      });
    });
  });
  const { createWebSocketInspector } = await import('@statelyai/inspect');
  const inspector = createWebSocketInspector({ url: `${url}${SOURCE_PATH}` });
  await sourceConnected;
  err.write(`baton: inspection on ${url} (open http://127.0.0.1:${listening.port}/ to watch it in the Stately inspector)\n`);

  return {
    url,
    inspect: inspector.inspect,
    close: async () => {
      await delay(SETTLE_MS);
      const sourceClosed = source === undefined ? Promise.resolve() : closed(source);
      inspector.stop();
      // The source's messages arrive before its close: once it has closed, all are relayed.
      await Promise.race([sourceClosed, delay(CLOSE_WAIT_MS)]);
      const viewers = [...relay.clients];
      for (const viewer of viewers) viewer.close(1000, 'the run ended');
      await Promise.race([Promise.all(viewers.map(closed)), delay(CLOSE_WAIT_MS)]);
      for (const viewer of relay.clients) viewer.terminate();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

function closed(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => realClock.schedule(() => resolve(), ms));
}

/** A page that forwards the relay's messages to an embedded Stately inspector once it says it is ready. */
function bridgePage(request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' || request.url !== '/') {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html>
<meta charset="utf-8">
<title>baton inspection</title>
<style>html, body, iframe { margin: 0; width: 100%; height: 100%; border: 0; }</style>
<iframe id="inspector" src="https://stately.ai/inspect"></iframe>
<script>
  const inspector = document.getElementById('inspector');
  const early = [];
  let ready = false;
  const deliver = (message) => inspector.contentWindow.postMessage(message, '*');
  window.addEventListener('message', (event) => {
    if (event.data?.type !== '@statelyai.connected') return;
    ready = true;
    early.splice(0).forEach(deliver);
  });
  const socket = new WebSocket('ws://' + location.host);
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (ready) deliver(message);
    else early.push(message);
  };
</script>
`);
}
