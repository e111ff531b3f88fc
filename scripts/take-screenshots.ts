/**
 * npm run screenshots: starts the sandbox, clicks through it in Debian's chromium and saves the
 * README's screenshots to docs/screenshots/. Run it after changing the page.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(import.meta.dirname, '..');
const OUT = path.join(ROOT, 'docs/screenshots');
const sandbox = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/sandbox/main.ts')], {
  env: { ...process.env, SANDBOX_PORT: '0', PORT: '0', REPLY_UNDO_SECONDS: '4', SANDBOX_MENTION_EVERY_MS: '2500' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// However this script ends, the sandbox (and the bot under it) goes with it.
process.on('exit', () => sandbox.kill('SIGTERM'));
const url = await new Promise<string>((resolve) => {
  let out = '';
  sandbox.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const match = /Sandbox page\s+(\S+)/.exec(out);
    if (match?.[1]) resolve(match[1]);
  });
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
await page.goto(url);
await page.waitForTimeout(9_000); // a few mentions arrive
await page.click('text=# social-questions');
await page.screenshot({ path: path.join(OUT, 'channel.png') });

const first = page.locator('#messages .message').first();
await first.locator('button.bk', { hasText: 'Reply' }).click();
await page.locator('.modal').waitFor();
await page.selectOption('.modal select', 'order-status');
await page.waitForTimeout(800);
await page.screenshot({ path: path.join(OUT, 'reply-modal.png') });
await page.click('.modal footer button.primary');
await first.locator('.thread-link').click();
await page.locator('#thread', { hasText: 'Sending in' }).waitFor();
await page.screenshot({ path: path.join(OUT, 'undo-window.png') });
await page.locator('#thread', { hasText: 'Sent by' }).waitFor({ timeout: 10_000 });
await page.click('.tabs button[data-tab="x"]');
await page.waitForTimeout(300);
await page.screenshot({ path: path.join(OUT, 'x-view.png') });

await page.fill('#command-input', '/crm lookup margret hamiltn');
await page.press('#command-input', 'Enter');
const card = page.locator('#messages .message.ephemeral', { hasText: 'Margaret Hamilton' });
await card.waitFor();
// Live updates re-render the list: find the card again if it was replaced meanwhile.
await card.scrollIntoViewIfNeeded().catch(() => card.scrollIntoViewIfNeeded());
await page.click('.tabs button[data-tab="log"]');
await page.locator('#log .log-entry').first().locator('summary').click();
await page.waitForTimeout(300);
await page.screenshot({ path: path.join(OUT, 'lookup-and-log.png') });

await page.click('text=# social-digest');
await page.locator('#messages figure.file img').first().waitFor({ timeout: 15_000 });
await page.waitForTimeout(500);
await page.screenshot({ path: path.join(OUT, 'digest.png'), fullPage: true });

// A mention in Spanish, labelled chatter, relabelled Complaint by Alice: it moves to the questions channel.
await page.click('.tabs button[data-tab="x"]');
await page.fill('#mention-handle', '@marta_r');
await page.fill('#mention-name', 'Marta Ruiz');
await page.fill('#mention-text', 'hoy me voy de acampada con la tienda nueva, a ver qué tal');
await page.click('#mention-form button[type="submit"]');
await page.click('.tabs button[data-tab="thread"]');
await page.click('text=# social-mentions');
const chatter = page.locator('#messages .message', { hasText: 'me voy de acampada' });
await chatter.waitFor({ timeout: 15_000 });
await chatter.locator('select.bk').selectOption({ label: 'Complaint' });
await page.locator('#messages .message', { hasText: 'Relabelled Complaint by' }).waitFor({ timeout: 10_000 });
await page.click('text=# social-questions');
await page.locator('#messages .message', { hasText: 'relabelled from Other' }).waitFor({ timeout: 10_000 });
await page.fill('#command-input', '/crm triage');
await page.press('#command-input', 'Enter');
await page.locator('#messages .message.ephemeral', { hasText: 'Triage, last 30 days' }).waitFor({ timeout: 10_000 });
await page.waitForTimeout(500);
await page.screenshot({ path: path.join(OUT, 'relabel-and-triage.png') });

await browser.close();
sandbox.kill('SIGTERM');
console.log(`screenshots saved to ${OUT}`);
