import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import nodePath from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readTextOrNull, writeFileAtomic } from '../../../electron/main/fs.main.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(nodePath.join(tmpdir(), 'bulkhead-fs-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('fs adapters', () => {
  it('readTextOrNull: null for a missing file, text otherwise', async () => {
    expect(await readTextOrNull(nodePath.join(dir, 'missing.json'))).toBeNull();
    expect(await readTextOrNull(nodePath.join(dir, 'missing-dir', 'x.json'))).toBeNull();
    await writeFileAtomic(nodePath.join(dir, 'a.json'), '{}');
    expect(await readTextOrNull(nodePath.join(dir, 'a.json'))).toBe('{}');
  });

  it('readTextOrNull: other errors propagate (a directory is not "missing")', async () => {
    await expect(readTextOrNull(dir)).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('writeFileAtomic: creates parents, owner-only mode, no temp files left', async () => {
    const target = nodePath.join(dir, 'nested', 'secrets.json');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, 'two');
    expect(await readFile(target, 'utf8')).toBe('two');
    expect(await readdir(nodePath.dirname(target))).toEqual(['secrets.json']);
    if (process.platform !== 'win32') expect((await stat(target)).mode & 0o777).toBe(0o600);
  });
});
