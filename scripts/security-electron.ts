/**
 * `npm run security:electron`: the Electron security gate (invariant I8).
 *
 * 1. Electronegativity over `electron/` and `renderer/` together (one tree, so its global
 *    checks see the navigation guards and permission handler in main). Its CLI (1.10.3) cannot
 *    start — the package lacks its `commander` dependency — and it always exits 0 anyway, so we
 *    call its runner API, which returns the findings, and write the CSV report ourselves. Fails
 *    on any HIGH or MEDIUM finding that is not in build/security-review.ts, on a stale review
 *    entry, and on any file it could not parse (a skipped file is an unscanned file). The
 *    online-only check (Electron release list) is excluded: the machine is offline and the
 *    Electron version is pinned.
 * 2. Our own checks, run against the real main-process modules with fake Electron objects:
 *    BrowserWindow options, CSP, navigation guards, permission handlers, IPC sender checks on
 *    every channel, and that nothing but main.ts creates windows.
 *
 * Report: .tsbuild/security/electronegativity.csv. Exit code 1 on any failure.
 */
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import { ELECTRON_VERSION } from '../build/electron-builder.js';
import { REVIEWED_FINDINGS } from '../build/security-review.js';
import type { ReviewedFinding } from '../build/security-review.js';
import { IPC } from '../shared/ipc/contract.js';
import { runMain } from '../electron/main/shell.main.js';
import type { MainDeps, ShellWindow } from '../electron/main/shell.main.js';
import { APP_ENTRY_URL, SECURE_WEB_PREFERENCES } from '../electron/main/security.js';
import {
  FakeEmitter,
  FakeIpcMain,
  FakeSession,
  FakeUpdater,
  FakeWebContents,
  ManualTimers,
  fakeEvent,
  ipcEvent,
} from '../tests/unit/electron/fakes.js';
import { REPO_ROOT } from './build-electron.js';

/** One electronegativity finding, as its runner returns it. */
export type Finding = {
  readonly id: string;
  readonly severity: string;
  readonly confidence: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly sample: string;
  readonly description: string;
};

/** Verdict on the findings. */
export type FindingsVerdict = {
  readonly blocking: readonly Finding[];
  readonly accepted: readonly { finding: Finding; review: ReviewedFinding }[];
  readonly stale: readonly ReviewedFinding[];
  readonly informational: readonly Finding[];
};

const BLOCKING = new Set(['HIGH', 'MEDIUM']);

/** Splits findings into blocking, reviewed-and-accepted and informational; finds stale reviews. */
export function evaluateFindings(
  findings: readonly Finding[],
  reviewed: readonly ReviewedFinding[],
): FindingsVerdict {
  const blocking: Finding[] = [];
  const accepted: { finding: Finding; review: ReviewedFinding }[] = [];
  const informational: Finding[] = [];
  const used = new Set<ReviewedFinding>();
  for (const finding of findings) {
    if (!BLOCKING.has(finding.severity)) {
      informational.push(finding);
      continue;
    }
    const review = reviewed.find(
      (r) => r.check === finding.id && r.file === finding.file && finding.sample.includes(r.sampleContains),
    );
    if (review === undefined) blocking.push(finding);
    else {
      accepted.push({ finding, review });
      used.add(review);
    }
  }
  return { blocking, accepted, stale: reviewed.filter((r) => !used.has(r)), informational };
}

function csvCell(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** The CSV report, in electronegativity's own column layout. */
export function findingsCsv(findings: readonly Finding[]): string {
  const lines = ['issue, severity, confidence, filename, location, sample, description'];
  for (const f of findings) {
    lines.push(
      [f.id, f.severity, f.confidence, f.file, `${f.line}:${f.column}`, f.sample, f.description]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

type RawIssue = {
  id: string;
  severity: { name: string };
  confidence: { name: string };
  file: string;
  location: { line: number; column: number };
  sample?: string;
  description: string;
};
type RunnerResult = { issues: RawIssue[]; errors: { file: string; message: string; tolerable: boolean }[] };
type Runner = (options: Record<string, unknown>, forCli: boolean) => Promise<RunnerResult>;

/** Runs electronegativity over a copy of electron/ and renderer/; returns findings and parse errors. */
export async function runElectronegativity(): Promise<{ findings: Finding[]; parseErrors: string[] }> {
  const scanRoot = await mkdtemp(nodePath.join(tmpdir(), 'bulkhead-eneg-'));
  try {
    for (const dir of ['electron', 'renderer']) {
      await cp(nodePath.join(REPO_ROOT, dir), nodePath.join(scanRoot, dir), {
        recursive: true,
        filter: (source) => !source.split(nodePath.sep).includes('node_modules'),
      });
    }
    const require = createRequire(import.meta.url);
    const run = require('@doyensec/electronegativity/dist/runner.js') as Runner;
    const result = await run(
      {
        input: scanRoot,
        isSarif: false,
        customScan: [],
        excludeFromScan: ['availablesecurityfixesglobalcheck'],
        isRelative: true,
        isVerbose: false,
        electronVersionOverride: ELECTRON_VERSION,
        parserPlugins: [],
      },
      false,
    );
    const findings = result.issues.map((issue) => ({
      id: issue.id,
      severity: issue.severity.name,
      confidence: issue.confidence.name,
      file: issue.file.split(nodePath.sep).join('/'),
      line: issue.location.line,
      column: issue.location.column,
      sample: issue.sample ?? '',
      description: issue.description,
    }));
    const parseErrors = result.errors.filter((e) => !e.tolerable).map((e) => `${e.file}: ${e.message}`);
    return { findings, parseErrors };
  } finally {
    await rm(scanRoot, { recursive: true, force: true });
  }
}

/** A named check of our own. */
export type ShellCheck = { readonly name: string; readonly run: () => Promise<void> | void };

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

class GateWindow extends FakeEmitter {
  readonly webContents: FakeWebContents;
  constructor(
    id: number,
    readonly options: Record<string, unknown>,
  ) {
    super();
    this.webContents = new FakeWebContents(id);
  }
  isMinimized = (): boolean => false;
  restore = (): void => undefined;
  focus = (): void => undefined;
  show = (): void => undefined;
  loadURL = (): Promise<void> => Promise.resolve();
}

/** Starts the real shell with fake Electron objects and a valid machine config. */
async function startShell(config = '{"serverUrl":"https://wms.example.com"}') {
  const app = Object.assign(new FakeEmitter(), {
    isPackaged: true,
    requestSingleInstanceLock: () => true,
    quit: () => undefined,
    enableSandbox: () => undefined,
    whenReady: () => Promise.resolve(),
    getPath: () => '/userData',
    getAppPath: () => '/app',
    getVersion: () => '0.1.0',
  });
  const session = new FakeSession();
  const ipcMain = new FakeIpcMain();
  const windows: GateWindow[] = [];
  const opened: string[] = [];
  let sandboxEnabled = false;
  app.enableSandbox = () => {
    sandboxEnabled = true;
  };
  const deps = {
    app,
    protocol: { registerSchemesAsPrivileged: () => undefined, handle: () => undefined },
    getSession: () => session,
    ipcMain,
    safeStorage: {
      isEncryptionAvailable: () => true,
      encryptString: (text: string) => Buffer.from(text),
      decryptString: (data: Buffer) => data.toString(),
    },
    shell: {
      openExternal: (url: string) => {
        opened.push(url);
        return Promise.resolve();
      },
    },
    createWindow: (options: Record<string, unknown>) => {
      const window = new GateWindow(windows.length + 1, options);
      windows.push(window);
      return window as unknown as ShellWindow;
    },
    platform: 'linux',
    env: {},
    fs: {
      readConfig: (filePath: string) =>
        Promise.resolve(filePath === '/etc/bulkhead/config.json' ? config : null),
      readAsset: () => Promise.reject(new Error('ENOENT')),
      secretIo: { read: () => Promise.resolve(null), write: () => Promise.resolve() },
    },
    log: () => undefined,
    createUpdater: () => new FakeUpdater(),
    timers: new ManualTimers(),
  };
  const outcome = await runMain(deps as unknown as MainDeps).started;
  return { outcome, session, ipcMain, windows, opened, sandboxEnabled: () => sandboxEnabled, app };
}

/** Our own checks of the shell's hardening. */
export function shellChecks(): ShellCheck[] {
  return [
    {
      name: 'BrowserWindow options: isolation, sandbox, no node, web security, preload, sandbox for all',
      run: async () => {
        const { outcome, windows, sandboxEnabled } = await startShell();
        assert(outcome === 'app-loaded', `shell did not start: ${outcome}`);
        assert(sandboxEnabled(), 'app.enableSandbox() was not called');
        const prefs = windows[0]?.options['webPreferences'] as Record<string, unknown> | undefined;
        assert(prefs !== undefined, 'window created without webPreferences');
        for (const [key, value] of Object.entries(SECURE_WEB_PREFERENCES)) {
          assert(
            prefs[key] === value,
            `webPreferences.${key} is ${String(prefs[key])}, want ${String(value)}`,
          );
        }
        const required = {
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          webSecurity: true,
          webviewTag: false,
        };
        for (const [key, value] of Object.entries(required)) {
          assert(prefs[key] === value, `webPreferences.${key} must be ${String(value)}`);
        }
        assert(
          prefs['preload'] === '/app/dist/electron/preload.cjs',
          `preload is ${String(prefs['preload'])}`,
        );
      },
    },
    {
      name: 'only main.ts creates windows, and restates the isolation flags there',
      run: async () => {
        const offenders: string[] = [];
        const walk = async (dir: string): Promise<void> => {
          for (const entry of await readdir(dir, { withFileTypes: true })) {
            const full = nodePath.join(dir, entry.name);
            if (entry.isDirectory()) await walk(full);
            else if (/\.tsx?$/.test(entry.name)) {
              const text = await readFile(full, 'utf8');
              if (/new\s+(BrowserWindow|BrowserView|WebContentsView)\s*\(/.test(text))
                offenders.push(nodePath.relative(REPO_ROOT, full));
            }
          }
        };
        await walk(nodePath.join(REPO_ROOT, 'electron'));
        assert(
          JSON.stringify(offenders) === JSON.stringify(['electron/main/main.ts']),
          `windows are created in: ${offenders.join(', ') || 'nowhere'}`,
        );
        const main = await readFile(nodePath.join(REPO_ROOT, 'electron/main/main.ts'), 'utf8');
        for (const flag of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false']) {
          assert(main.includes(flag), `main.ts does not restate ${flag} at new BrowserWindow`);
        }
      },
    },
    {
      name: 'CSP: injected on every app:// response, no eval, no inline script, connect only to the server',
      run: async () => {
        const { session } = await startShell();
        assert(
          session.headersFilter?.urls.includes('app://bulkhead/*') === true,
          'CSP hook does not cover app://',
        );
        let headers: Record<string, string[]> = {};
        session.headersListener?.(
          {
            url: APP_ENTRY_URL,
            responseHeaders: { 'content-security-policy': ["script-src 'unsafe-eval'"] },
          },
          (response: { responseHeaders: Record<string, string[]> }) => {
            headers = response.responseHeaders;
          },
        );
        const policies = Object.entries(headers).filter(
          ([name]) => name.toLowerCase() === 'content-security-policy',
        );
        assert(policies.length === 1, 'a response kept its own CSP header next to ours');
        const csp = policies[0]![1].join(';');
        const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
        assert(scriptSrc.trim() === "'self'", `script-src is "${scriptSrc}"`);
        assert(!csp.includes('unsafe-eval'), 'CSP allows eval');
        assert(
          csp.includes("object-src 'none'") && csp.includes("frame-ancestors 'none'"),
          'CSP misses object/frame rules',
        );
        assert(
          /connect-src 'self' https:\/\/wms\.example\.com(;|$)/.test(csp),
          `connect-src is not self + server: ${csp}`,
        );
        const html = await readFile(nodePath.join(REPO_ROOT, 'renderer/index.html'), 'utf8');
        const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1];
        assert(meta !== undefined, 'renderer/index.html has no CSP meta tag (browser builds rely on it)');
        assert(
          /script-src 'self'(;|$)/.test(meta) && !meta.includes('unsafe-eval'),
          `index.html CSP allows scripts: ${meta}`,
        );
      },
    },
    {
      name: 'navigation guards: no navigation, redirect, window or webview off the app origin',
      run: async () => {
        const { windows, opened, app } = await startShell();
        const contents = windows[0]!.webContents;
        for (const event of ['will-navigate', 'will-redirect'] as const) {
          const away = fakeEvent({ url: 'https://evil.example/' });
          contents.emit(event, away);
          assert(away.defaultPrevented, `${event} to another origin is not prevented`);
          const inside = fakeEvent({ url: 'app://bulkhead/other.html' });
          contents.emit(event, inside);
          assert(!inside.defaultPrevented, `${event} inside the app is prevented`);
        }
        for (const url of [
          'https://docs.example.com/',
          'file:///etc/passwd',
          'javascript:alert(1)',
          'app://bulkhead/x',
        ]) {
          const answer = contents.windowOpenHandler?.({ url });
          assert(answer?.action === 'deny', `window.open(${url}) is not denied`);
        }
        await Promise.resolve();
        assert(
          JSON.stringify(opened) === JSON.stringify(['https://docs.example.com/']),
          `opened externally: ${opened.join(', ')}`,
        );
        const webview = fakeEvent({});
        contents.emit('will-attach-webview', webview, {}, {});
        assert(webview.defaultPrevented, '<webview> is not prevented');
        const other = new FakeWebContents(42);
        app.emit('web-contents-created', fakeEvent({}), other);
        const stray = fakeEvent({ url: 'https://evil.example/' });
        other.emit('will-navigate', stray);
        assert(stray.defaultPrevented, 'a webContents created later is not guarded');
      },
    },
    {
      name: 'permission handlers deny everything',
      run: async () => {
        const { session } = await startShell();
        for (const permission of [
          'media',
          'geolocation',
          'notifications',
          'clipboard-read',
          'hid',
          'openExternal',
        ]) {
          let granted: boolean | null = null;
          session.permissionRequestHandler?.(null, permission, (answer: boolean) => {
            granted = answer;
          });
          assert(granted === false, `permission request "${permission}" is not denied`);
          assert(
            session.permissionCheckHandler?.(null, permission) === false,
            `permission check "${permission}" passes`,
          );
        }
        assert(session.devicePermissionHandler?.({}) === false, 'device permission is not denied');
      },
    },
    {
      name: 'IPC: every channel refuses senders other than the app window top frame',
      run: async () => {
        const { ipcMain, windows } = await startShell();
        const id = windows[0]!.webContents.id;
        const channels = Object.keys(IPC);
        assert(
          JSON.stringify([...ipcMain.handlers.keys()].sort()) === JSON.stringify([...channels].sort()),
          'registered IPC channels differ from the contract',
        );
        const untrusted = {
          'another webContents': ipcEvent({ senderId: id + 100 }),
          'a sub-frame': ipcEvent({ senderId: id, isMainFrame: false }),
          'another origin': ipcEvent({ senderId: id, origin: 'https://evil.example' }),
          'a destroyed frame': ipcEvent({ senderId: id, frame: null }),
        };
        for (const channel of channels) {
          for (const [who, event] of Object.entries(untrusted)) {
            const error = await ipcMain.invoke(channel, event, undefined).then(
              () => null,
              (e: unknown) => e,
            );
            assert(
              error instanceof Error && error.message.startsWith('[untrusted-sender]'),
              `${channel} accepted a call from ${who}`,
            );
          }
        }
      },
    },
    {
      name: 'an invalid machine config serves a script-free error page and registers no IPC',
      run: async () => {
        const { outcome, ipcMain, session } = await startShell('{"serverUrl":"ftp://x"}');
        assert(outcome === 'config-error-shown', `outcome ${outcome}`);
        assert(ipcMain.handlers.size === 0, 'IPC is registered on the error page');
        let csp = '';
        session.headersListener?.(
          { url: APP_ENTRY_URL, responseHeaders: {} },
          (r: { responseHeaders: Record<string, string[]> }) => {
            csp = r.responseHeaders['Content-Security-Policy']?.join(';') ?? '';
          },
        );
        assert(csp.startsWith("default-src 'none'"), `error page CSP is ${csp}`);
      },
    },
    {
      name: 'preload exposes one frozen object of fixed invoke calls, never ipcRenderer',
      run: async () => {
        const text = await readFile(nodePath.join(REPO_ROOT, 'electron/preload/bridge.preload.ts'), 'utf8');
        const exposes = text.match(/exposeInMainWorld\(/g) ?? [];
        assert(exposes.length === 1, `exposeInMainWorld called ${exposes.length} times`);
        assert(text.includes('Object.freeze(bridge)'), 'the bridge is not frozen');
        assert(
          !/ipcRenderer\s*[,}]|ipcRenderer\.(send|on|sendSync)\b/.test(text.replace(/^import .*$/m, '')),
          'preload exposes or listens on ipcRenderer',
        );
      },
    },
  ];
}

/** Runs the gate; returns report lines and whether it passed. */
export async function runSecurityGate(): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  const { findings, parseErrors } = await runElectronegativity();
  const outDir = nodePath.join(REPO_ROOT, '.tsbuild', 'security');
  await mkdir(outDir, { recursive: true });
  await writeFile(nodePath.join(outDir, 'electronegativity.csv'), findingsCsv(findings));
  const verdict = evaluateFindings(findings, REVIEWED_FINDINGS);
  for (const error of parseErrors) {
    ok = false;
    lines.push(`FAIL electronegativity could not parse ${error}`);
  }
  for (const f of verdict.blocking) {
    ok = false;
    lines.push(`FAIL ${f.severity} ${f.id} ${f.file}:${f.line} ${f.sample.trim()} — ${f.description}`);
  }
  for (const r of verdict.stale) {
    ok = false;
    lines.push(
      `FAIL stale review entry (no such finding any more, remove it): ${r.check} ${r.file} "${r.sampleContains}"`,
    );
  }
  for (const { finding } of verdict.accepted) {
    lines.push(
      `ok   reviewed ${finding.severity} ${finding.id} ${finding.file}:${finding.line} (build/security-review.ts)`,
    );
  }
  for (const f of verdict.informational)
    lines.push(`info ${f.severity} ${f.id} ${f.file}:${f.line} ${f.description}`);
  lines.push(
    `${verdict.blocking.length === 0 && parseErrors.length === 0 ? 'ok  ' : 'FAIL'} electronegativity: ${findings.length} findings, ${verdict.blocking.length} blocking (report .tsbuild/security/electronegativity.csv)`,
  );
  for (const check of shellChecks()) {
    try {
      await check.run();
      lines.push(`ok   ${check.name}`);
    } catch (error) {
      ok = false;
      lines.push(`FAIL ${check.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { ok, lines };
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(nodePath.resolve(process.argv[1])).href;
if (invokedDirectly) {
  runSecurityGate()
    .then(({ ok, lines }) => {
      for (const line of lines) console.log(line);
      console.log(ok ? 'security gate passed' : 'security gate FAILED');
      process.exitCode = ok ? 0 : 1;
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    });
}
