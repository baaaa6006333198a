import { expect, type Locator, type Page } from '@playwright/test';

/** Page object of the floor screens, driven by keyboard and simulated scanner input. */
export class FloorPage {
  constructor(readonly page: Page) {}

  /** Open a floor screen with its Alt+digit shortcut. */
  async open(
    screen: 'receiving' | 'outbound' | 'count' | 'masterData' | 'stockWatch' | 'transfer',
  ): Promise<void> {
    const n = { receiving: 1, outbound: 2, count: 3, masterData: 4, stockWatch: 5, transfer: 6 }[screen];
    await this.page.keyboard.press(`Alt+${n}`);
    await expect(this.page.locator(`[data-floor-view="${screen}"]`)).toBeVisible();
  }

  scanField(name: string): Locator {
    return this.page.locator(`[data-scan="${name}"]`);
  }

  scanInput(name: string): Locator {
    return this.scanField(name).locator('input');
  }

  /**
   * A USB scanner: the code typed fast into whatever has focus, then Enter. Asserts the field
   * `name` had focus, so a test also proves the focus chain.
   */
  async scan(name: string, code: string): Promise<void> {
    await expect(this.scanInput(name)).toBeFocused();
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(code, { delay: 0 });
    await this.page.keyboard.press('Enter');
  }

  /** Scan and wait for the field to show what it recognized. */
  async scanOk(name: string, code: string, shows?: string | RegExp): Promise<void> {
    await this.scan(name, code);
    const hit = this.scanField(name).getByTestId('scan-hit');
    await expect(hit).toBeVisible();
    if (shows) await expect(hit).toContainText(shows);
  }

  /** Type into the focused (non-scan) field and press Enter. */
  async typeEnter(text: string): Promise<void> {
    await this.page.keyboard.press('Control+A');
    await this.page.keyboard.type(text);
    await this.page.keyboard.press('Enter');
  }

  feedback(): Locator {
    return this.page.getByTestId('floor-feedback');
  }

  /** Fill the confirmation dialog by keyboard: retyped value, Tab, reason, then co-signer if asked. */
  async confirm(typed: string, reason: string, cosign?: { user: string; password: string }): Promise<void> {
    const dialog = this.page.locator('dialog.confirm-dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog.locator('input[name="typed"]')).toBeFocused();
    await this.page.keyboard.type(typed);
    await this.page.keyboard.press('Tab');
    await this.page.keyboard.type(reason);
    if (cosign) {
      await this.page.keyboard.press('Tab');
      await this.page.keyboard.type(cosign.user);
      await this.page.keyboard.press('Tab');
      await this.page.keyboard.type(cosign.password);
    }
    await this.page.keyboard.press('Enter');
    await expect(dialog).toBeHidden();
  }
}
