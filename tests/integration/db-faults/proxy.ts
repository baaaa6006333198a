/**
 * A TCP proxy between the server and PostgreSQL that can simulate a database restart: `outage()`
 * resets every open connection (both sides, so PostgreSQL rolls back what was in flight) and
 * stops listening, so new connections are refused (ECONNREFUSED), then listens again.
 */
import net from 'node:net';

export type PgProxy = {
  port: number;
  /** Connections accepted so far (a reconnect shows up here). */
  accepted(): number;
  /** Open proxied connections right now. */
  open(): number;
  /** Cut every connection and refuse new ones for `ms`; resolves once listening again. */
  outage(ms: number): Promise<void>;
  close(): Promise<void>;
};

export async function startPgProxy(upstreamHost: string, upstreamPort: number): Promise<PgProxy> {
  const pairs = new Set<{ a: net.Socket; b: net.Socket }>();
  let accepted = 0;
  const server = net.createServer((a) => {
    accepted += 1;
    const b = net.connect(upstreamPort, upstreamHost);
    const pair = { a, b };
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      a.destroy();
      b.destroy();
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
    a.pipe(b);
    b.pipe(a);
  });
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  const port = await listen(0);
  const stopListening = (): Promise<void> => new Promise((resolve) => server.close(() => resolve()));
  const cutAll = (): void => {
    for (const { a, b } of [...pairs]) {
      // RST, not FIN: what a crashing or restarting database looks like to the driver.
      a.resetAndDestroy();
      b.resetAndDestroy();
    }
    pairs.clear();
  };
  return {
    port,
    accepted: () => accepted,
    open: () => pairs.size,
    async outage(ms) {
      const closed = stopListening();
      cutAll();
      await closed;
      await new Promise((r) => setTimeout(r, ms));
      // The same port again: the server's connection string does not change across a restart.
      for (let attempt = 0; ; attempt++) {
        try {
          await listen(port);
          return;
        } catch (e) {
          if (attempt >= 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    async close() {
      const closed = stopListening();
      cutAll();
      await closed;
    },
  };
}
