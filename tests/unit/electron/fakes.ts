/**
 * Fakes of the Electron objects the shell touches. They record registered listeners and
 * handlers so tests can fire them; each is cast to the narrow type the module under test asks
 * for, which is itself a Pick of Electron's real type.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- listeners of many shapes are stored together */

export type Listener = (...args: any[]) => unknown;

/** Minimal EventEmitter that remembers listeners by event name. */
export class FakeEmitter {
  readonly listeners = new Map<string, Listener[]>();

  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  emit(event: string, ...args: unknown[]): unknown[] {
    return (this.listeners.get(event) ?? []).map((listener) => listener(...args));
  }

  count(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

/** A navigation-style event whose preventDefault is observable. */
export function fakeEvent<T extends object>(
  params: T,
): T & { defaultPrevented: boolean; preventDefault(): void } {
  const event = {
    ...params,
    defaultPrevented: false,
    preventDefault(): void {
      event.defaultPrevented = true;
    },
  };
  return event;
}

/** Fake webContents: listeners plus the window-open handler. */
export class FakeWebContents extends FakeEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;

  constructor(readonly id: number) {
    super();
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

/** Fake session: the permission handlers and the webRequest header hook. */
export class FakeSession {
  permissionRequestHandler: Listener | null = null;
  permissionCheckHandler: Listener | null = null;
  devicePermissionHandler: Listener | null = null;
  headersFilter: { urls: string[] } | null = null;
  headersListener: Listener | null = null;

  readonly webRequest = {
    onHeadersReceived: (filter: { urls: string[] }, listener: Listener): void => {
      this.headersFilter = filter;
      this.headersListener = listener;
    },
  };

  setPermissionRequestHandler(handler: Listener | null): void {
    this.permissionRequestHandler = handler;
  }

  setPermissionCheckHandler(handler: Listener | null): void {
    this.permissionCheckHandler = handler;
  }

  setDevicePermissionHandler(handler: Listener | null): void {
    this.devicePermissionHandler = handler;
  }
}

/** Fake ipcMain: stores one handler per channel, like the real one. */
export class FakeIpcMain {
  readonly handlers = new Map<string, Listener>();

  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  /** Calls a channel the way ipcRenderer.invoke would reach it. */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) throw new Error(`no handler for ${channel}`);
    return await handler(event, ...args);
  }
}

/** An IPC event from a frame with the given properties. */
export function ipcEvent(options: {
  senderId?: number;
  origin?: string;
  url?: string;
  isMainFrame?: boolean;
  frame?: null;
}): unknown {
  const origin = options.origin ?? 'app://bulkhead';
  const frame =
    options.frame === null
      ? null
      : {
          origin,
          url: options.url ?? `${origin}/index.html`,
          parent: options.isMainFrame === false ? { origin } : null,
        };
  return { sender: { id: options.senderId ?? 1 }, senderFrame: frame };
}

/** Fake electron-updater AppUpdater: records its configuration and lets tests fire events. */
export class FakeUpdater extends FakeEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  allowDowngrade = true;
  logger: unknown = console;
  active = true;
  feed: unknown = null;
  checks = 0;
  checkResult: () => Promise<unknown> = () => Promise.resolve(null);
  installs: unknown[][] = [];

  setFeedURL(options: unknown): void {
    this.feed = options;
  }

  isUpdaterActive(): boolean {
    return this.active;
  }

  checkForUpdates(): Promise<unknown> {
    this.checks += 1;
    return this.checkResult();
  }

  quitAndInstall(...args: unknown[]): void {
    this.installs.push(args);
  }
}

/** Timers that run nothing until a test asks them to. */
export class ManualTimers {
  readonly timeouts: { callback: () => void; ms: number }[] = [];
  readonly intervals: { callback: () => void; ms: number }[] = [];

  readonly setTimeout = (callback: () => void, ms: number): void => {
    this.timeouts.push({ callback, ms });
  };

  readonly setInterval = (callback: () => void, ms: number): void => {
    this.intervals.push({ callback, ms });
  };
}
