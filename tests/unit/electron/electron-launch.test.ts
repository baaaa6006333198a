import nodePath from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronPackageDir, findElectronBinary } from '../../../scripts/electron-launch.js';

const PKG = '/repo/node_modules/electron';

function fakeFs(files: Record<string, string>) {
  return {
    exists: (filePath: string) => filePath in files,
    readText: (filePath: string) => files[filePath] ?? '',
  };
}

describe('findElectronBinary', () => {
  it('returns null when path.txt is missing (binary never downloaded)', () => {
    expect(findElectronBinary({ packageDir: PKG, env: {}, ...fakeFs({}) })).toBeNull();
  });

  it('returns null when path.txt exists but the dist binary does not', () => {
    const fs = fakeFs({ [nodePath.join(PKG, 'path.txt')]: 'electron' });
    expect(findElectronBinary({ packageDir: PKG, env: {}, ...fs })).toBeNull();
  });

  it('returns the dist binary when both exist', () => {
    const binary = nodePath.join(PKG, 'dist', 'electron');
    const fs = fakeFs({ [nodePath.join(PKG, 'path.txt')]: 'electron\n', [binary]: '' });
    expect(findElectronBinary({ packageDir: PKG, env: {}, ...fs })).toBe(binary);
  });

  it('honours ELECTRON_OVERRIDE_DIST_PATH like the electron package', () => {
    const binary = nodePath.join('/opt/electron', 'electron');
    const fs = fakeFs({ [binary]: '' });
    expect(
      findElectronBinary({ packageDir: PKG, env: { ELECTRON_OVERRIDE_DIST_PATH: '/opt/electron' }, ...fs }),
    ).toBe(binary);
  });

  it('returns null when the electron package is not installed', () => {
    expect(findElectronBinary({ packageDir: null })).toBeNull();
  });

  it('finds the installed package without triggering its throwing index.js', () => {
    expect(electronPackageDir()).toMatch(/node_modules[/\\]electron$/);
    // On this machine the binary is absent; elsewhere it is a real path.
    const found = findElectronBinary();
    expect(found === null || found.includes('electron')).toBe(true);
  });
});
