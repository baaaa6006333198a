/**
 * The update feed: serves a folder that IT fills with electron-builder's output (`latest.yml`,
 * `latest-mac.yml`, `latest-linux.yml`, other channels' `beta*.yml`, installers, blockmaps) at
 * `/updates/…`, for electron-updater's generic provider. Files are looked up per request, so
 * publishing or rolling back is copying files — no restart.
 *
 * Only plain files directly inside the folder or its sub-folders are served: no listing, no
 * index page, no dot-files, no path outside the folder. A missing file is a real 404 (never the
 * SPA fallback page, which the updater would try to parse as YAML). The channel files are sent
 * with `no-cache`, so a rollback reaches clients at their next check even through a proxy.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.js';

/** URL prefix of the feed; the desktop app's default feed is `<serverUrl>/updates/`. */
export const UPDATE_FEED_PREFIX = '/updates';

/** Options of registerUpdateFeed. */
export type UpdateFeedOptions = {
  /** Folder holding the feed files (e.g. `BULKHEAD_UPDATES_DIR`). */
  readonly dir: string;
};

/** Channel files are metadata that must never be stale; installers are immutable per version. */
export function updateCacheControl(filePath: string): string {
  return /\.ya?ml$/i.test(filePath) ? 'no-cache' : 'public, max-age=3600';
}

/**
 * Registers the feed under `/updates/`. Call it while building the app (before `listen`).
 * The folder may be empty or created later; until a file exists its URL answers 404.
 */
export function registerUpdateFeed(app: FastifyInstance, options: UpdateFeedOptions): void {
  const root = path.resolve(options.dir);
  void app.register(
    async (feed) => {
      feed.setNotFoundHandler((req, reply) => {
        const url = req.url.split('?')[0] ?? '';
        return reply.status(404).send(errorBody('not_found', `no update file ${url}`));
      });
      if (!existsSync(root) || !statSync(root).isDirectory()) {
        feed.log.warn(
          { dir: root },
          'update feed folder does not exist; every /updates/ request answers 404',
        );
        return;
      }
      await feed.register(fastifyStatic, {
        root,
        prefix: '/',
        // The host app may register @fastify/static too; only one may decorate the reply.
        decorateReply: false,
        index: false,
        list: false,
        dotfiles: 'deny',
        // Serve files added after start (IT publishes by copying into the folder).
        wildcard: true,
        cacheControl: false,
        setHeaders: (res, filePath) => {
          res.setHeader('Cache-Control', updateCacheControl(filePath));
          res.setHeader('X-Content-Type-Options', 'nosniff');
        },
      });
    },
    { prefix: UPDATE_FEED_PREFIX },
  );
}
