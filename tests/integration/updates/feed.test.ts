/**
 * The update feed end to end, without the Electron binary: the server plugin serves a folder
 * laid out as electron-builder publishes it, and electron-updater's real AppImageUpdater —
 * driven by our main-process update controller, with a Node HTTP executor in place of
 * Electron's `net` — reads it: channel file parsed, version compared, artifact downloaded and
 * its sha512 verified.
 *
 * The host app here reproduces what matters of server/app.ts: @fastify/static at `/` and a
 * not-found handler that answers the SPA page for any GET. A missing feed file must still be a
 * 404, or the updater would parse HTML as YAML.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import fastifyStatic from '@fastify/static';
import { startTestServer } from '../../helpers/server.js';
import { HttpExecutor, configureRequestOptions, configureRequestUrl } from 'builder-util-runtime';
import type { DownloadOptions } from 'builder-util-runtime';
import { AppImageUpdater } from 'electron-updater';
import type { AppAdapter } from 'electron-updater/out/AppAdapter.js';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUpdateController } from '../../../electron/main/updater.main.js';
import { registerUpdateFeed } from '../../../server/http/updates.js';

/**
 * electron-updater's HTTP client without Electron: plain node:http (the feed is http here).
 * `download` mirrors ElectronHttpExecutor.download, which streams through the base class's
 * sha512-checking doDownload.
 */
class NodeHttpExecutor extends HttpExecutor<ClientRequest> {
  createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    return http.request(options, callback);
  }

  download(url: URL, destination: string, options: DownloadOptions): Promise<string> {
    return options.cancellationToken.createPromise<string>((resolve, reject, onCancel) => {
      const requestOptions: RequestOptions = { headers: options.headers ?? undefined };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(
        requestOptions,
        {
          destination,
          options,
          onCancel,
          callback: (error) => (error == null ? resolve(destination) : reject(error)),
          responseHandler: null,
        },
        0,
      );
    });
  }
}

let root: string;
let feedDir: string;
let app: FastifyInstance;
let baseUrl: string;
const artifact = Buffer.from('#!/bin/sh\necho "Bulkhead 0.2.0 stand-in AppImage"\n'.repeat(200));
const artifactName = 'Bulkhead-0.2.0.AppImage';
const sha512 = createHash('sha512').update(artifact).digest('base64');

function channelFile(version: string, file: string, hash: string, size: number): string {
  return [
    `version: ${version}`,
    'files:',
    `  - url: ${file}`,
    `    sha512: ${hash}`,
    `    size: ${size}`,
    `path: ${file}`,
    `sha512: ${hash}`,
    "releaseDate: '2025-06-01T10:00:00.000Z'",
    '',
  ].join('\n');
}

/** GET with the request path sent exactly as given. */
function rawGet(pathAsWritten: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${baseUrl}/`, { path: pathAsWritten }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  root = await mkdtemp(nodePath.join(tmpdir(), 'bulkhead-feed-'));
  feedDir = nodePath.join(root, 'updates');
  const spaDir = nodePath.join(root, 'spa');
  await mkdir(feedDir);
  await mkdir(spaDir);
  await writeFile(nodePath.join(spaDir, 'index.html'), '<!doctype html><title>Bulkhead</title>');
  await writeFile(nodePath.join(feedDir, artifactName), artifact);
  await writeFile(
    nodePath.join(feedDir, 'latest-linux.yml'),
    channelFile('0.2.0', artifactName, sha512, artifact.length),
  );
  await writeFile(nodePath.join(feedDir, '.secret'), 'not for clients');

  app = Fastify();
  app.setNotFoundHandler((_req, reply) => reply.type('text/html').sendFile('index.html'));
  void app.register(fastifyStatic, { root: spaDir, prefix: '/' });
  registerUpdateFeed(app, { dir: feedDir });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  baseUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app?.close();
  await rm(root, { recursive: true, force: true });
});

describe('update feed plugin', () => {
  it('serves channel files with no-cache and artifacts with their bytes', async () => {
    const yml = await fetch(`${baseUrl}/updates/latest-linux.yml`);
    expect(yml.status).toBe(200);
    expect(yml.headers.get('cache-control')).toBe('no-cache');
    expect(await yml.text()).toContain('version: 0.2.0');

    const file = await fetch(`${baseUrl}/updates/${artifactName}`);
    expect(file.status).toBe(200);
    expect(file.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(Buffer.from(await file.arrayBuffer()).equals(artifact)).toBe(true);
  });

  it('supports range requests (differential downloads)', async () => {
    const res = await fetch(`${baseUrl}/updates/${artifactName}`, { headers: { range: 'bytes=0-9' } });
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(artifact.subarray(0, 10))).toBe(true);
  });

  it('a file added after start is served at once (publishing = copying files)', async () => {
    await writeFile(
      nodePath.join(feedDir, 'beta-linux.yml'),
      channelFile('0.3.0-beta.1', 'x.AppImage', 'x', 1),
    );
    const res = await fetch(`${baseUrl}/updates/beta-linux.yml`);
    expect(res.status).toBe(200);
  });

  it.each([
    ['a missing file', '/updates/latest.yml'],
    ['the folder itself (no listing)', '/updates/'],
    ['a dot-file', '/updates/.secret'],
    ['a traversal attempt', '/updates/..%2fspa%2findex.html'],
    ['an encoded traversal', '/updates/%2e%2e/spa/index.html'],
    ['a raw traversal', '/updates/../spa/index.html'],
  ])('%s is refused, never the SPA page', async (_what, url) => {
    // node:http sends the path as written; fetch and inject would normalise the dots away.
    const res = await rawGet(url);
    expect([403, 404]).toContain(res.status);
    expect(res.body).not.toContain('<title>Bulkhead</title>');
  });

  it('a feed folder that does not exist answers 404 instead of failing the server', async () => {
    const other = Fastify();
    registerUpdateFeed(other, { dir: nodePath.join(root, 'missing') });
    await other.ready();
    const res = await other.inject({ method: 'GET', url: '/updates/latest.yml' });
    expect(res.statusCode).toBe(404);
    await other.close();
  });
});

describe("electron-updater's view of the feed (no Electron binary)", () => {
  const savedAppImage = process.env['APPIMAGE'];
  afterEach(() => {
    if (savedAppImage === undefined) delete process.env['APPIMAGE'];
    else process.env['APPIMAGE'] = savedAppImage;
  });

  async function updaterFor(version: string): Promise<AppImageUpdater> {
    const dataDir = await mkdtemp(nodePath.join(root, `app-${version}-`));
    // The currently installed AppImage; the updater reads it for a differential download.
    const current = nodePath.join(dataDir, 'Bulkhead-current.AppImage');
    await writeFile(current, 'old build');
    process.env['APPIMAGE'] = current;
    // As packaged by electron-builder; the download step reads its cache folder name from it.
    await writeFile(
      nodePath.join(dataDir, 'app-update.yml'),
      `provider: generic\nurl: ${baseUrl}/updates/\nupdaterCacheDirName: bulkhead-updater\n`,
    );
    const adapter: AppAdapter = {
      version,
      name: 'Bulkhead',
      isPackaged: true,
      appUpdateConfigPath: nodePath.join(dataDir, 'app-update.yml'),
      userDataPath: dataDir,
      baseCachePath: dataDir,
      whenReady: () => Promise.resolve(),
      relaunch: () => undefined,
      quit: () => undefined,
      onQuit: () => undefined,
    };
    const updater = new AppImageUpdater(null, adapter);
    // The stand-in "current AppImage" has no embedded block map to diff against.
    updater.disableDifferentialDownload = true;
    // Internal field: the executor Electron's `net` would provide inside the app.
    (updater as unknown as { httpExecutor: HttpExecutor<ClientRequest> }).httpExecutor =
      new NodeHttpExecutor();
    return updater;
  }

  function controllerFor(
    updater: AppImageUpdater,
    channel: 'latest' | 'beta' = 'latest',
    allowDowngrade = false,
  ) {
    const log: string[] = [];
    const controller = createUpdateController({
      settings: { enabled: true, url: `${baseUrl}/updates/`, channel, allowDowngrade },
      isPackaged: true,
      createUpdater: () => updater,
      timers: { setTimeout: () => undefined, setInterval: () => undefined },
      log: (message) => log.push(message),
    });
    return { controller, log };
  }

  it('0.1.0 sees 0.2.0, downloads it, verifies its sha512 and reports "ready"', async () => {
    const updater = await updaterFor('0.1.0');
    const downloaded = new Promise<string[]>((resolve) => {
      updater.on('update-downloaded', (event) => resolve(event.downloadedFile ? [event.downloadedFile] : []));
    });
    const { controller } = controllerFor(updater);

    const check = await updater.checkForUpdates();
    expect(check?.isUpdateAvailable).toBe(true);
    expect(check?.updateInfo.version).toBe('0.2.0');
    expect(check?.updateInfo.files[0]).toMatchObject({ url: artifactName, sha512, size: artifact.length });

    const [file] = await downloaded;
    expect(file).toBeDefined();
    expect(controller.status()).toEqual({ state: 'ready', version: '0.2.0' });
  });

  it('0.2.0 is up to date', async () => {
    const updater = await updaterFor('0.2.0');
    const { controller } = controllerFor(updater);
    await controller.checkNow();
    expect(controller.status()).toMatchObject({ state: 'up-to-date' });
  });

  it('a newer client is not downgraded unless IT allows it (rollback)', async () => {
    const newer = await updaterFor('0.3.0');
    const strict = controllerFor(newer);
    newer.autoDownload = false;
    const result = await newer.checkForUpdates();
    expect(result?.isUpdateAvailable).toBe(false);
    expect(strict.controller.status()).toMatchObject({ state: 'up-to-date' });

    const rolledBack = await updaterFor('0.3.0');
    controllerFor(rolledBack, 'latest', true);
    rolledBack.autoDownload = false;
    const rollback = await rolledBack.checkForUpdates();
    expect(rollback?.isUpdateAvailable).toBe(true);
    expect(rollback?.updateInfo.version).toBe('0.2.0');
  });

  it('a channel reads its own file: beta → beta-linux.yml', async () => {
    const updater = await updaterFor('0.2.0');
    const { controller } = controllerFor(updater, 'beta');
    updater.autoDownload = false;
    const result = await updater.checkForUpdates();
    expect(result?.updateInfo.version).toBe('0.3.0-beta.1');
    expect(controller.status()).toEqual({ state: 'downloading', version: '0.3.0-beta.1', percent: 0 });
  });

  it('a sha512 mismatch is refused and reported as an error, never "ready"', async () => {
    await writeFile(
      nodePath.join(feedDir, 'alpha-linux.yml'),
      channelFile(
        '0.9.0',
        artifactName,
        createHash('sha512').update('other').digest('base64'),
        artifact.length,
      ),
    );
    const updater = await updaterFor('0.1.0');
    const failed = new Promise<Error>((resolve) => updater.on('error', resolve));
    const settings = {
      enabled: true,
      url: `${baseUrl}/updates/`,
      channel: 'alpha' as const,
      allowDowngrade: false,
    };
    const controller = createUpdateController({
      settings,
      isPackaged: true,
      createUpdater: () => updater,
      timers: { setTimeout: () => undefined, setInterval: () => undefined },
      log: () => undefined,
    });
    const check = await updater.checkForUpdates();
    await expect(check?.downloadPromise).rejects.toThrow(/sha512 checksum mismatch/);
    await failed;
    expect(controller.status()).toMatchObject({ state: 'error' });
  });

  it('an unreachable feed is an error status, not a crash', async () => {
    const updater = await updaterFor('0.1.0');
    const controller = createUpdateController({
      settings: {
        enabled: true,
        url: 'http://127.0.0.1:9/updates/',
        channel: 'latest',
        allowDowngrade: false,
      },
      isPackaged: true,
      createUpdater: () => updater,
      timers: { setTimeout: () => undefined, setInterval: () => undefined },
      log: () => undefined,
    });
    await controller.checkNow();
    expect(controller.status()).toMatchObject({ state: 'error' });
  }, 30_000);
});

describe('the real server serves the feed from BULKHEAD_UPDATES_DIR', () => {
  it('latest.yml is served from the configured folder, a missing file is a JSON 404, not the SPA', async () => {
    const dir = await mkdtemp(nodePath.join(tmpdir(), 'bulkhead-feed-'));
    await writeFile(
      nodePath.join(dir, 'latest-linux.yml'),
      'version: 9.9.9\npath: Bulkhead-9.9.9.AppImage\n',
    );
    const server = await startTestServer({
      backend: 'pglite',
      seed: false,
      updatesDir: dir,
      staticDir: 'dist/renderer',
    });
    try {
      const ok = await fetch(`${server.url}/updates/latest-linux.yml`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('version: 9.9.9');
      const missing = await fetch(`${server.url}/updates/latest-mac.yml`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    } finally {
      await server.close();
    }
  });
});
