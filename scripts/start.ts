/**
 * `npm start`: build the renderer, start the sync server (embedded PGlite unless DATABASE_URL is
 * set) and open the app — in Electron where its binary exists, otherwise in any browser at the
 * printed URL (same renderer, web platform adapter).
 */
import { build } from 'vite';
import { optionsFromEnv, startServer } from '../server/start.js';
import { buildElectron } from './build-electron.js';
import { ELECTRON_MISSING_MESSAGE, findElectronBinary, launchElectron } from './electron-launch.js';

async function main(): Promise<void> {
  // Read the settings first: vite's build sets NODE_ENV=production in this process, which would
  // turn off the demo seed.
  const options = optionsFromEnv();
  await build({ configFile: 'vite.renderer.config.ts', logLevel: 'warn' });
  const server = await startServer(options);
  const stop = () => {
    void server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  const binary = findElectronBinary();
  if (!binary) {
    console.log(ELECTRON_MISSING_MESSAGE);
    console.log(
      `Open ${server.url} in a browser. Demo users: op.acme, fin.acme, mgr … password demo1234. Ctrl+C stops.`,
    );
    return;
  }
  await buildElectron();
  const child = launchElectron(binary, process.cwd(), { ...process.env, BULKHEAD_SERVER_URL: server.url });
  child.on('exit', stop);
}

main().catch((e: unknown) => {
  console.error(`Bulkhead could not start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
