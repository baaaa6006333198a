/**
 * The server under load, in its own process so its memory is its own: started by the load
 * harness with `fork` (`--import tsx --expose-gc`), it answers IPC messages:
 * `{ type: 'memory' }` → collects garbage and replies with its RSS and heap;
 * `{ type: 'stop' }` → closes and exits. On start it sends `{ type: 'ready', url }`.
 */
import { startServer } from '../../server/start.js';

export type ServerMessage =
  | { type: 'ready'; url: string; pid: number }
  | { type: 'memory'; rss: number; heapUsed: number; gc: boolean }
  | { type: 'failed'; error: string };

const send = (m: ServerMessage): void => {
  process.send?.(m);
};

const databaseUrl = process.env.LOAD_DATABASE_URL;
if (!databaseUrl) {
  send({ type: 'failed', error: 'LOAD_DATABASE_URL is not set' });
  process.exit(2);
}

try {
  const server = await startServer({
    databaseUrl,
    port: 0,
    seed: false,
    // Errors are printed (a 500 under load must be diagnosable); LOAD_SERVER_LOG=info for more.
    logger: { level: process.env.LOAD_SERVER_LOG ?? 'error' },
  });
  process.on('message', (raw: unknown) => {
    const m = raw as { type?: string };
    if (m.type === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc;
      // Twice: the first pass may only promote what a second one then frees.
      gc?.();
      gc?.();
      const mem = process.memoryUsage();
      send({ type: 'memory', rss: mem.rss, heapUsed: mem.heapUsed, gc: gc !== undefined });
    } else if (m.type === 'stop') {
      void server.close().finally(() => process.exit(0));
    }
  });
  // The harness going away ends the server too.
  process.on('disconnect', () => void server.close().finally(() => process.exit(0)));
  send({ type: 'ready', url: server.url, pid: process.pid });
} catch (e) {
  send({ type: 'failed', error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}
