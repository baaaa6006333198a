import { expect, test } from '@playwright/test';
import { freshServer, signedIn } from './fixtures.js';
import { FloorPage } from './pages/floor-page.js';

const ITEMS = 30;
const env = freshServer(ITEMS);

test('a scan field refuses garbage with a message, keeps working, and the sound switch persists', async ({
  browser,
}) => {
  const { ctx, app } = await signedIn(browser, env.url, 'op.acme', ITEMS);
  const floor = new FloorPage(app.page);
  const errors: string[] = [];
  app.page.on('pageerror', (e) => errors.push(e.message));
  await floor.open('count');
  const field = floor.scanField('count-target');
  const input = floor.scanInput('count-target');
  const error = field.getByTestId('scan-error');

  // An unknown code (not even shaped like a location code).
  await floor.scan('count-target', 'no such bin!');
  await expect(error).toContainText('Unknown location code “no such bin!”');
  await expect(field).toHaveAttribute('data-state', 'error');
  await expect(input).toBeFocused();

  // Control characters (a scanner sending GS/ESC), as raw input.
  await app.page.keyboard.press('Control+A');
  await app.page.keyboard.insertText('A-02\u001b[2J01');
  await app.page.keyboard.press('Enter');
  await expect(error).toContainText('control characters');
  await expect(error).toContainText('\\x1b');

  // A huge paste.
  await app.page.keyboard.press('Control+A');
  await app.page.keyboard.insertText('X'.repeat(200_000));
  await app.page.keyboard.press('Enter');
  await expect(error).toContainText('too long');

  // Nothing was written, nothing crashed, and the next good scan works at once.
  await floor.scanOk('count-target', 'A-02-01', 'Location A-02-01');
  await expect(error).toHaveCount(0);
  await app.expectPending(0);
  expect(errors).toEqual([]);

  // An item field refuses a location code (it only takes items).
  await floor.open('receiving');
  await floor.scanInput('putaway-item').focus();
  await floor.scan('putaway-item', 'NOPE-404');
  await expect(floor.scanField('putaway-item').getByTestId('scan-error')).toContainText(
    'Unknown item code “NOPE-404”',
  );
  await floor.scan('putaway-item', 'A-02-01');
  await expect(floor.scanField('putaway-item').getByTestId('scan-error')).toContainText('Unknown item code');
  await floor.scan('putaway-item', 'acme-000001');
  await expect(floor.scanField('putaway-item').getByTestId('scan-hit')).toContainText('ACME-000001');
  await expect(floor.scanInput('putaway-from')).toBeFocused();

  // The sound switch is a per-PC setting that survives a restart.
  const sound = app.page.locator('input[name="floor-sound"]');
  await expect(sound).toBeChecked();
  await sound.focus();
  await app.page.keyboard.press('Space');
  await expect(sound).not.toBeChecked();
  await app.page.reload();
  await app.login('op.acme');
  await floor.open('count');
  await expect(app.page.locator('input[name="floor-sound"]')).not.toBeChecked();
  await ctx.close();
});
