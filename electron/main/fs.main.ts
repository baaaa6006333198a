/**
 * Node file-system adapters for the injected IO seams (config, secrets, protocol). Kept apart
 * so the modules they serve stay pure and are tested with in-memory fakes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import nodePath from 'node:path';

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}

/** Reads a UTF-8 text file, or null when it does not exist; other errors propagate. */
export async function readTextOrNull(filePath: string): Promise<string | null> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Reads a file's bytes. */
export async function readBytes(filePath: string): Promise<Uint8Array> {
  return readFile(filePath);
}

/**
 * Replaces a file atomically, readable by the current user only: a crash mid-write leaves the
 * old file intact instead of a truncated secret store.
 */
export async function writeFileAtomic(filePath: string, contents: string): Promise<void> {
  await mkdir(nodePath.dirname(filePath), { recursive: true, mode: 0o700 });
  const temp = `${filePath}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, contents, { mode: 0o600 });
    await rename(temp, filePath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
