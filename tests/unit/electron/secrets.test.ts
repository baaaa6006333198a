import { describe, expect, it } from 'vitest';
import { SecretStore, SecretStoreError } from '../../../electron/main/secrets.main.js';
import type { SafeStorageLike } from '../../../electron/main/secrets.main.js';

const FILE = '/userData/secrets.json';
const KEY = 'refresh:user-1';
const TOKEN = 'eyJhbGciOi.super-secret-refresh-token';

/** A reversible but non-identity "encryption", so plaintext never appears in its output. */
function fakeSafeStorage(options: { available?: boolean; backend?: string } = {}) {
  const calls = { encrypt: 0, decrypt: 0 };
  const safeStorage = {
    isEncryptionAvailable: () => options.available ?? true,
    encryptString: (plain: string) => {
      calls.encrypt += 1;
      return Buffer.from(`enc:${Buffer.from(plain, 'utf8').toString('hex')}`, 'utf8').map((b) => b ^ 0x5a);
    },
    decryptString: (encrypted: Buffer) => {
      calls.decrypt += 1;
      const text = Buffer.from(encrypted.map((b) => b ^ 0x5a)).toString('utf8');
      if (!text.startsWith('enc:')) throw new Error('bad ciphertext');
      return Buffer.from(text.slice(4), 'hex').toString('utf8');
    },
    ...(options.backend === undefined ? {} : { getSelectedStorageBackend: () => options.backend }),
  };
  return { safeStorage: safeStorage as SafeStorageLike, calls };
}

function memoryIo(initial: Record<string, string> = {}) {
  const files = new Map(Object.entries(initial));
  const writes: string[] = [];
  return {
    files,
    writes,
    io: {
      read: (filePath: string) => Promise.resolve(files.get(filePath) ?? null),
      write: (filePath: string, contents: string) => {
        writes.push(contents);
        files.set(filePath, contents);
        return Promise.resolve();
      },
    },
  };
}

describe('SecretStore', () => {
  it('round-trips through safeStorage and stores only base64 ciphertext', async () => {
    const { safeStorage } = fakeSafeStorage();
    const { io, files, writes } = memoryIo();
    const store = new SecretStore({ safeStorage, io, filePath: FILE });

    expect(await store.get(KEY)).toBeNull();
    await store.set(KEY, TOKEN);
    expect(await store.get(KEY)).toBe(TOKEN);

    const onDisk = files.get(FILE)!;
    expect(onDisk).not.toContain(TOKEN);
    expect(onDisk).not.toContain('super-secret');
    const parsed = JSON.parse(onDisk) as { version: number; entries: Record<string, string> };
    expect(parsed.version).toBe(1);
    expect(Object.keys(parsed.entries)).toEqual([KEY]);
    expect(parsed.entries[KEY]).toMatch(/^[A-Za-z0-9+/]+=*$/);
    for (const written of writes) expect(written).not.toContain(TOKEN);

    // A new instance (next app start) reads the same file.
    expect(await new SecretStore({ safeStorage, io, filePath: FILE }).get(KEY)).toBe(TOKEN);
  });

  it('refuses to store when encryption is unavailable, writing nothing', async () => {
    const { safeStorage, calls } = fakeSafeStorage({ available: false });
    const { io, writes } = memoryIo();
    const store = new SecretStore({ safeStorage, io, filePath: FILE });
    const error = await store.set(KEY, TOKEN).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).code).toBe('encryption-unavailable');
    expect((error as SecretStoreError).message).toMatch(/refusing to store a secret in plaintext/);
    expect(writes).toEqual([]);
    expect(calls.encrypt).toBe(0);
  });

  it("treats Linux's basic_text backend (a hard-coded key) as unavailable", async () => {
    const { safeStorage } = fakeSafeStorage({ backend: 'basic_text' });
    const { io, writes } = memoryIo();
    const store = new SecretStore({ safeStorage, io, filePath: FILE });
    expect(store.isAvailable()).toBe(false);
    await expect(store.set(KEY, TOKEN)).rejects.toMatchObject({ code: 'encryption-unavailable' });
    expect(writes).toEqual([]);
    expect(
      new SecretStore({
        safeStorage: fakeSafeStorage({ backend: 'gnome_libsecret' }).safeStorage,
        io,
        filePath: FILE,
      }).isAvailable(),
    ).toBe(true);
  });

  it('delete removes the key and leaves others', async () => {
    const { safeStorage } = fakeSafeStorage();
    const { io } = memoryIo();
    const store = new SecretStore({ safeStorage, io, filePath: FILE });
    await store.set(KEY, 'a');
    await store.set('refresh:user-2', 'b');
    await store.delete(KEY);
    await store.delete('refresh:nobody');
    expect(await store.get(KEY)).toBeNull();
    expect(await store.get('refresh:user-2')).toBe('b');
  });

  it('concurrent sets are serialized and none is lost', async () => {
    const { safeStorage } = fakeSafeStorage();
    const { io } = memoryIo();
    const store = new SecretStore({ safeStorage, io, filePath: FILE });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`refresh:u${i}`, `t${i}`)));
    for (let i = 0; i < 10; i += 1) expect(await store.get(`refresh:u${i}`)).toBe(`t${i}`);
  });

  it('a corrupt store file is a typed error, and the store keeps working afterwards', async () => {
    const { safeStorage } = fakeSafeStorage();
    const { io, files } = memoryIo({ [FILE]: '{not json' });
    const store = new SecretStore({ safeStorage, io, filePath: FILE });
    await expect(store.get(KEY)).rejects.toMatchObject({ code: 'store-corrupt' });
    files.set(FILE, JSON.stringify({ version: 1, entries: { [KEY]: 'plain text!' } }));
    await expect(store.get(KEY)).rejects.toMatchObject({ code: 'store-corrupt' });
    files.delete(FILE);
    await store.set(KEY, TOKEN);
    expect(await store.get(KEY)).toBe(TOKEN);
  });

  it('undecryptable ciphertext → decrypt-failed', async () => {
    const { safeStorage } = fakeSafeStorage();
    const { io } = memoryIo({
      [FILE]: JSON.stringify({ version: 1, entries: { [KEY]: Buffer.from('garbage').toString('base64') } }),
    });
    await expect(new SecretStore({ safeStorage, io, filePath: FILE }).get(KEY)).rejects.toMatchObject({
      code: 'decrypt-failed',
    });
  });
});
