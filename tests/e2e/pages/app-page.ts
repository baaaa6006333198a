import { expect, type Locator, type Page } from '@playwright/test';

/**
 * What the page's IndexedDB holds, read back raw: every database, each store's records as JSON,
 * and all of them joined.
 */
export type IndexedDbDump = {
  databases: string[];
  records: number;
  stores: { name: string; json: string }[];
  json: string;
};

/** Page object of the Bulkhead app in a browser. */
export class AppPage {
  constructor(readonly page: Page) {}

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(baseUrl);
  }

  async login(username: string, password = 'demo1234'): Promise<void> {
    await this.page.getByLabel(/username|用户名/i).fill(username);
    await this.page.getByLabel(/password|密码/i).fill(password);
    await this.page.getByLabel(/password|密码/i).press('Enter');
    await expect(this.page.getByTestId('current-user')).toBeVisible();
  }

  tenantButton(tenant: string): Locator {
    return this.page.locator(`.tenant-switcher button[data-tenant="${tenant}"]`);
  }

  async switchTenant(tenant: string): Promise<void> {
    await this.tenantButton(tenant).click();
    await expect(this.tenantButton(tenant)).toHaveAttribute('aria-pressed', 'true');
  }

  /** Wait until the first sync finished: the grid shows `total` items. */
  async waitForItems(total: number): Promise<void> {
    await expect(this.page.getByTestId('inventory-count')).toContainText(`of ${total}`, { timeout: 60_000 });
  }

  async search(query: string): Promise<void> {
    await this.page.getByRole('searchbox').fill(query);
  }

  row(sku: string): Locator {
    return this.page.locator(`[role="row"][data-sku="${sku}"]`);
  }

  /** On-hand quantity of a SKU as the grid shows it (searching for it first). */
  async onHand(sku: string): Promise<number> {
    await this.search(sku);
    const text = (await this.row(sku).getByTestId('on-hand').textContent()) ?? '';
    return Number(text.replace('*', '').trim());
  }

  async expectOnHand(sku: string, quantity: number): Promise<void> {
    await this.search(sku);
    await expect(this.row(sku).getByTestId('on-hand')).toHaveText(new RegExp(`^${quantity}( \\*)?$`));
  }

  visibleSkus(): Promise<string[]> {
    return this.page
      .locator('[role="row"][data-sku]')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sku') ?? ''));
  }

  /** Receive by keyboard only, as a scanner would: code⏎ quantity⏎ location⏎ batch⏎. */
  async receive(code: string, quantity: number, location = 'RCV-01', batch = ''): Promise<void> {
    const item = this.page.getByLabel(/Item \(scan|物料/);
    await item.fill(code);
    await item.press('Enter');
    await expect(this.page.getByTestId('resolved-item')).toBeVisible();
    await expect(this.page.getByLabel(/^Quantity|数量/)).toBeFocused();
    await this.page.keyboard.type(String(quantity));
    await this.page.keyboard.press('Enter');
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(location);
    await this.page.keyboard.press('Enter');
    if (batch) await this.page.keyboard.type(batch);
    await this.page.keyboard.press('Enter');
    await expect(this.page.locator('.receive [role="status"]')).toContainText(/Received|已收货/);
  }

  async expectOnline(online: boolean): Promise<void> {
    await expect(this.page.locator('.sync-status')).toHaveAttribute('data-online', String(online));
  }

  async expectPending(count: number): Promise<void> {
    await expect(this.page.locator('.sync-status')).toHaveAttribute('data-pending', String(count));
  }

  /** Dump every record of every IndexedDB database of this origin, bypassing the app. */
  dumpIndexedDb(): Promise<IndexedDbDump> {
    return this.page.evaluate(async () => {
      const infos = await indexedDB.databases();
      const names = infos.map((i) => i.name).filter((n): n is string => typeof n === 'string');
      const stores: { name: string; json: string }[] = [];
      let records = 0;
      for (const name of names) {
        // A database the app deleted since the listing is skipped, not created again: an empty
        // one left by this dump would be found by the app's next open without its stores.
        const db = await new Promise<IDBDatabase | null>((resolve, reject) => {
          const req = indexedDB.open(name);
          req.onupgradeneeded = () => req.transaction?.abort();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () =>
            req.error?.name === 'AbortError'
              ? resolve(null)
              : reject(req.error ?? new Error('IndexedDB request failed'));
        });
        if (!db) continue;
        for (const store of Array.from(db.objectStoreNames)) {
          const all = await new Promise<unknown[]>((resolve, reject) => {
            const req = db.transaction(store, 'readonly').objectStore(store).getAll();
            req.onsuccess = () => resolve(req.result as unknown[]);
            req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
          });
          // The chunked storage packs many documents into one record, as a JSON array string:
          // count and dump the documents themselves.
          const docs = all.flatMap((r): unknown[] => {
            if (typeof r !== 'string' || !r.startsWith('[')) return [r];
            try {
              const parsed: unknown = JSON.parse(r);
              return Array.isArray(parsed) ? (parsed as unknown[]) : [r];
            } catch {
              return [r];
            }
          });
          records += docs.length;
          stores.push({ name: `${name}/${store}`, json: JSON.stringify({ name, store, all: docs }) });
        }
        db.close();
      }
      return { databases: names, records, stores, json: stores.map((s) => s.json).join('\n') };
    });
  }
}
