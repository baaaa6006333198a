/**
 * Secret store (refresh tokens, local key material) encrypted with the OS keychain through
 * Electron's safeStorage (invariant I8). Values are kept as base64 ciphertext per key in one
 * JSON file in userData. If the OS offers no real encryption the store refuses to write —
 * the user logs in again next time, which is better than a token on disk in the clear.
 *
 * Electron 39 has only the synchronous safeStorage API (no encryptStringAsync), so that is the
 * one injected here.
 */
import type { SafeStorage } from 'electron';
import { z } from 'zod';

/** The safeStorage calls the store needs; `getSelectedStorageBackend` exists on Linux only. */
export type SafeStorageLike = Pick<SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'> &
  Partial<Pick<SafeStorage, 'getSelectedStorageBackend'>>;

/** File IO of the store; `read` resolves null when the file does not exist. */
export type SecretFileIo = {
  readonly read: (filePath: string) => Promise<string | null>;
  /** Must replace the file atomically (write a temp file, then rename). */
  readonly write: (filePath: string, contents: string) => Promise<void>;
};

/** Stable error codes of the secret store. */
export type SecretStoreErrorCode = 'encryption-unavailable' | 'store-corrupt' | 'decrypt-failed';

/** A secret store failure with a stable code. */
export class SecretStoreError extends Error {
  override readonly name = 'SecretStoreError';
  constructor(
    readonly code: SecretStoreErrorCode,
    message: string,
  ) {
    super(`[${code}] ${message}`);
  }
}

const StoreFile = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/)),
});
type StoreFile = z.infer<typeof StoreFile>;

/** Options of SecretStore. */
export type SecretStoreOptions = {
  readonly safeStorage: SafeStorageLike;
  readonly io: SecretFileIo;
  readonly filePath: string;
};

/** Encrypted key/value store; operations are serialized so concurrent sets never lose one. */
export class SecretStore {
  readonly #safeStorage: SafeStorageLike;
  readonly #io: SecretFileIo;
  readonly #filePath: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SecretStoreOptions) {
    this.#safeStorage = options.safeStorage;
    this.#io = options.io;
    this.#filePath = options.filePath;
  }

  /**
   * Whether secrets can be stored. On Linux without a keyring Electron falls back to the
   * `basic_text` backend, whose key is a constant in Chromium's source: that is obfuscation,
   * not encryption, so it counts as unavailable.
   */
  isAvailable(): boolean {
    if (!this.#safeStorage.isEncryptionAvailable()) return false;
    return this.#safeStorage.getSelectedStorageBackend?.() !== 'basic_text';
  }

  /** The secret under `key`, or null when none is stored. */
  get(key: string): Promise<string | null> {
    return this.#serialize(async () => {
      const file = await this.#load();
      const encoded = file.entries[key];
      if (encoded === undefined) return null;
      if (!this.isAvailable()) {
        throw new SecretStoreError(
          'encryption-unavailable',
          'OS encryption is not available; cannot read secrets',
        );
      }
      try {
        return this.#safeStorage.decryptString(Buffer.from(encoded, 'base64'));
      } catch {
        // Typically the keychain entry changed (OS reinstall, user profile copied).
        throw new SecretStoreError('decrypt-failed', `Stored secret "${key}" cannot be decrypted`);
      }
    });
  }

  /** Stores `value` under `key`, encrypted; refuses when encryption is unavailable. */
  set(key: string, value: string): Promise<void> {
    return this.#serialize(async () => {
      if (!this.isAvailable()) {
        throw new SecretStoreError(
          'encryption-unavailable',
          'OS encryption (keychain / DPAPI / libsecret) is not available; refusing to store a secret in plaintext',
        );
      }
      const encrypted = this.#safeStorage.encryptString(value);
      const file = await this.#load();
      await this.#save({
        ...file,
        entries: { ...file.entries, [key]: Buffer.from(encrypted).toString('base64') },
      });
    });
  }

  /** Removes `key`; deleting needs no encryption, so it works even when the keychain is gone. */
  delete(key: string): Promise<void> {
    return this.#serialize(async () => {
      const file = await this.#load();
      if (!(key in file.entries)) return;
      const { [key]: _removed, ...rest } = file.entries;
      await this.#save({ ...file, entries: rest });
    });
  }

  #serialize<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation, operation);
    // Keep the chain alive after a failure; the caller still sees the rejection via `run`.
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #load(): Promise<StoreFile> {
    const text = await this.#io.read(this.#filePath);
    if (text === null) return { version: 1, entries: {} };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new SecretStoreError('store-corrupt', `Secret store ${this.#filePath} is not valid JSON`);
    }
    const parsed = StoreFile.safeParse(json);
    if (!parsed.success) {
      throw new SecretStoreError('store-corrupt', `Secret store ${this.#filePath} has an unexpected shape`);
    }
    // A null-prototype copy so a key like "__proto__" can never reach Object.prototype.
    return {
      version: 1,
      entries: Object.assign(Object.create(null) as Record<string, string>, parsed.data.entries),
    };
  }

  async #save(file: StoreFile): Promise<void> {
    await this.#io.write(this.#filePath, `${JSON.stringify(file, null, 2)}\n`);
  }
}
