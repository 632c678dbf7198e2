/**
 * A worker thread of `bench/live.ts`: opens its share of WebSocket clients, subscribes each to the
 * watched servers, and records the latency of every event it receives (arrival time minus the event's
 * own time). Clients are spread over threads so that the bench's own parsing does not become the
 * bottleneck it is measuring.
 */
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

interface Setup {
  url: string;
  token: string;
  clients: number;
  watched: string[];
}

const setup = workerData as Setup;
const port = parentPort!;
let measuring = false;
const latencies: number[] = [];
let dropped = 0;
const sockets: WebSocket[] = [];

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${setup.url.replace(/^http/, 'ws')}/api/v1/ws`);
    let pending = setup.watched.length;
    socket.once('error', reject);
    socket.once('open', () => {
      socket.send(JSON.stringify({ type: 'auth', token: setup.token }));
      for (const id of setup.watched) {
        socket.send(
          JSON.stringify({ type: 'subscribe', server_id: id, streams: ['status', 'metrics', 'console'] }),
        );
      }
    });
    socket.on('message', (data: Buffer) => {
      const arrived = performance.timeOrigin + performance.now();
      const message = JSON.parse(data.toString('utf8')) as {
        type: string;
        ts: string;
        data: { count?: number };
      };
      if (message.type === 'subscribed' && --pending === 0) resolve(socket);
      else if (message.type === 'error') reject(new Error(JSON.stringify(message)));
      else if (message.type === 'dropped') dropped += message.data.count ?? 0;
      else if (
        measuring &&
        (message.type === 'console' || message.type === 'metrics' || message.type === 'status')
      ) {
        latencies.push(arrived - Date.parse(message.ts));
      }
    });
  });
}

port.on('message', (command: string) => {
  if (command === 'start') {
    latencies.length = 0;
    dropped = 0;
    measuring = true;
  } else if (command === 'stop') {
    measuring = false;
    const result = Float64Array.from(latencies);
    port.postMessage({ latencies: result, dropped }, [result.buffer]);
  } else if (command === 'close') {
    for (const socket of sockets) socket.terminate();
    port.close();
  }
});

for (let i = 0; i < setup.clients; i += 25) {
  const batch = await Promise.all(Array.from({ length: Math.min(25, setup.clients - i) }, () => open()));
  sockets.push(...batch);
}
port.postMessage('ready');
