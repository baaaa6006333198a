import { pathToFileURL } from 'node:url';
import { optionsFromEnv, startServer } from './start.js';

export { startServer } from './start.js';
export type { StartedServer, StartOptions } from './start.js';

async function main(): Promise<void> {
  const server = await startServer(optionsFromEnv());
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        server.app.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

// Run only as the entry point, so `import { startServer } from './main.js'` has no side effects.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`Bulkhead server failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
