/**
 * The peer's server: express 4 + express-pouchdb over pouchdb-core with the memory adapter,
 * holding the same documents as Bulkhead's tenant. It also serves the peer's harness page, so the
 * browser replicates from its own origin (no CORS in the way).
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';

const require = createRequire(import.meta.url);

type PouchDb = {
  bulkDocs(docs: Record<string, unknown>[]): Promise<unknown>;
  info(): Promise<{ doc_count: number }>;
};
type PouchCtor = {
  new (name: string): PouchDb;
  plugin(p: unknown): PouchCtor;
  defaults(o: Record<string, unknown>): PouchCtor;
};

export type PeerServer = { url: string; close(): Promise<void> };

/**
 * Start the peer on 127.0.0.1:0. `load` fills each named database with its documents (already in
 * the wire shape Bulkhead's pull serves, with `_id` = id). `page` maps a path to [type, body].
 */
export async function startPeerServer(
  load: Record<string, Record<string, unknown>[]>,
  page: Record<string, [string, string]>,
): Promise<PeerServer> {
  const core = require('pouchdb-core') as PouchCtor;
  const PouchDB = core
    .plugin(require('pouchdb-adapter-memory'))
    .plugin(require('pouchdb-adapter-http'))
    .plugin(require('pouchdb-mapreduce'))
    .plugin(require('pouchdb-replication'))
    .defaults({ adapter: 'memory' });
  const expressPouchDb = require('express-pouchdb') as (
    p: PouchCtor,
    o: Record<string, unknown>,
  ) => express.Handler;

  for (const [name, docs] of Object.entries(load)) {
    const db = new PouchDB(name);
    for (let i = 0; i < docs.length; i += 5000) await db.bulkDocs(docs.slice(i, i + 5000));
  }

  const app = express();
  for (const [path, [type, body]] of Object.entries(page)) {
    app.get(path, (_req, res) => {
      res.type(type).send(body);
    });
  }
  app.use(
    '/db',
    expressPouchDb(PouchDB, { mode: 'minimumForPouchDB', inMemoryConfig: true, logPath: '/dev/null' }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
