import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const ROOT = path.resolve(import.meta.dirname, '../..');
/** .ci/run installs Debian's chromium; on a developer machine without it this story is skipped, loudly. */
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it with apt-get`);
  console.warn(`Skipping the sandbox browser test: ${CHROMIUM} is not installed (apt-get install chromium).`);
}

/**
 * A newcomer's first minutes, in a real browser: `npm run sandbox`, watch a mention arrive, reply
 * from the modal, see it confirmed and published on the X view, answer in a thread, use /crm.
 * It fails if the page shows an error or the bot logs one.
 */
describe.skipIf(!hasChromium)('the sandbox in Chromium', () => {
  let sandbox: ChildProcess;
  let browser: Browser;
  let page: Page;
  let pageUrl = '';
  const output: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    sandbox = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/sandbox/main.ts')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        SANDBOX_PORT: '0',
        PORT: '0',
        REPLY_UNDO_SECONDS: '2',
        AUTO_REPLY_UNDO_SECONDS: '3',
        SANDBOX_MENTION_EVERY_MS: '3000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pageUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the sandbox printed no page URL:\n${output.join('')}`)), 30_000);
      const read = (chunk: Buffer) => {
        output.push(chunk.toString('utf8'));
        const match = /Sandbox page\s+(http:\/\/localhost:\d+\/)/.exec(output.join(''));
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      };
      sandbox.stdout?.on('data', read);
      sandbox.stderr?.on('data', read);
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(pageUrl);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    sandbox?.kill('SIGTERM');
    await new Promise((resolve) => sandbox?.once('exit', resolve));
    expect(pageErrors).toEqual([]);
    expect(
      output
        .join('')
        .split('\n')
        .filter((line) => /^\S+ error /.test(line)),
    ).toEqual([]);
    expect(await page?.isVisible('#error-banner').catch(() => false)).toBeFalsy();
  });

  /** What a person sees, for a look after a run; README's copies in docs/screenshots are taken from these. */
  const shot = (name: string) => page.screenshot({ path: path.join(os.tmpdir(), `switchboard-${name}.png`) });

  /** The message holding `text`, in whichever mentions channel triage put it. */
  const findMessage = async (text: string) => {
    const locate = () => page.locator('#messages .message', { hasText: text });
    await expect
      .poll(
        async () => {
          for (const channel of ['# social-questions', '# social-mentions']) {
            await page.click(`text=${channel}`);
            if ((await locate().count()) > 0) return true;
          }
          return false;
        },
        { timeout: 20_000, interval: 500 },
      )
      .toBe(true);
    return locate().first();
  };

  /** A customer mentions the brand from the Networks view; back on the Thread tab after. */
  const postMention = async (handle: string, name: string, text: string) => {
    await page.click('.tabs button[data-tab="x"]');
    await page.fill('#mention-handle', handle);
    await page.fill('#mention-name', name);
    await page.fill('#mention-text', text);
    await page.click('#mention-form button[type="submit"]');
    await page.click('.tabs button[data-tab="thread"]');
  };

  it('shows a mention with its labels and the five buttons', async () => {
    const message = page.locator('#messages .message', { hasText: 'on 𝕏 X' }).first();
    await message.locator('button.bk', { hasText: 'Reply' }).waitFor({ timeout: 20_000 });
    for (const label of ['Reply', 'Like', 'Link contact', 'Assign to me', 'Resolve']) {
      await expect(message.locator('button.bk', { hasText: label }).count()).resolves.toBe(1);
    }
    expect(await message.innerText()).toMatch(/Question|Complaint|Praise|Other/);
  });

  it('shows mentions from X, Mastodon and Bluesky in the same channels', async () => {
    const all = page.locator('#messages .message');
    for (const network of ['on 🐘 Mastodon', 'on 🦋 Bluesky']) {
      await expect
        .poll(
          async () => {
            for (const channel of ['# social-mentions', '# social-questions']) {
              await page.click(`text=${channel}`);
              if ((await all.filter({ hasText: network }).count()) > 0) return true;
            }
            return false;
          },
          { timeout: 40_000, interval: 1_000 },
        )
        .toBe(true);
    }
    await page.click('text=# social-mentions');
    await shot('channel');
  });

  it('replies from the modal: confirmed in the thread, published on the Networks view', async () => {
    // The newest mention on X, Mastodon (@name@server) or Bluesky (@name.bsky.social): each starts the reply with @handle.
    const message = page.locator('#messages .message', { hasText: /on (𝕏 X|🐘 Mastodon|🦋 Bluesky)/ }).first();
    const author = (await message.locator('.block-section').first().innerText()).match(/@([\w.-]+(?:@[\w.-]+)?)/)?.[1] ?? '';
    await message.locator('button.bk', { hasText: 'Reply' }).click();
    const modal = page.locator('.modal');
    await modal.waitFor();
    expect(await modal.locator('textarea').inputValue()).toBe(`@${author} `);
    await modal.locator('textarea').fill(`@${author} thanks for writing, we are on it!`);
    await shot('reply-modal');
    await modal.locator('footer button', { hasText: 'Send' }).click();
    await modal.waitFor({ state: 'detached' });

    // Send opens the mention's thread by itself, on the announcement with its Undo.
    await page.locator('#thread', { hasText: 'Sending in' }).waitFor();
    expect(await page.locator('#thread .message').first().getAttribute('data-ts')).toBe(await message.getAttribute('data-ts'));
    await shot('undo-window');
    await page.locator('#thread', { hasText: 'Sent by' }).waitFor({ timeout: 10_000 });
    await page.locator('#messages .message').first().filter({ hasText: 'Replied by' }).waitFor();

    await page.click('.tabs button[data-tab="x"]');
    await page.locator('#x-timeline .tweet.brand', { hasText: 'thanks for writing, we are on it!' }).waitFor();
    await shot('x-view');
    await page.click('.tabs button[data-tab="thread"]');
  });

  it('sends `reply:` typed in a thread, and keeps other thread messages internal', async () => {
    await page.fill('#thread-input', 'Internal: she ordered twice this month');
    await page.press('#thread-input', 'Enter');
    await page.locator('#thread .message', { hasText: 'she ordered twice this month' }).waitFor();
    await page.fill('#thread-input', 'reply: and a follow-up from the thread');
    await page.press('#thread-input', 'Enter');
    await page
      .locator('#thread .message', { hasText: 'and a follow-up from the thread' })
      .filter({ hasText: 'Sent by' })
      .waitFor({ timeout: 10_000 });

    await page.click('.tabs button[data-tab="x"]');
    await page.locator('#x-timeline .tweet.brand', { hasText: 'and a follow-up from the thread' }).waitFor();
    expect(await page.locator('#x-timeline .tweet.brand', { hasText: 'she ordered twice' }).count()).toBe(0);
    await page.click('.tabs button[data-tab="thread"]');
  });

  it('finds a demo customer with /crm lookup despite typos, and shows the card', async () => {
    await page.fill('#command-input', '/crm lookup margret hamiltn');
    await page.press('#command-input', 'Enter');
    const card = page.locator('#messages .message.ephemeral', { hasText: 'Margaret Hamilton' });
    await card.waitFor();
    const text = await card.innerText();
    expect(text).toContain('@margaret_h');
    expect(text).toContain('NASA');
    expect(text).toContain('Mentions');
    expect(text).toMatch(/Orders 1 · 24\.90 EUR/);
    expect(text).toContain('Only visible to you');
    await page.click('.tabs button[data-tab="log"]');
    await shot('lookup-and-log');
    await page.click('.tabs button[data-tab="thread"]');
  });

  it('links an author to a known customer with the Link contact type-ahead', async () => {
    await postMention('@ada_second', 'Ada (second account)', 'writing from my other account: where is my parcel?');
    await page.click('text=# social-questions');
    const message = page.locator('#messages .message', { hasText: 'writing from my other account' });
    await message.waitFor({ timeout: 15_000 });
    await message.locator('button.bk', { hasText: 'Link contact' }).click();
    const modal = page.locator('.modal');
    await modal.waitFor();
    const search = modal.locator('input[data-action-id="contact_pick"]');
    await search.fill('ada lovlace');
    await modal.locator('datalist option').first().waitFor({ state: 'attached' });
    const label = (await modal.locator('datalist option').first().getAttribute('value')) ?? '';
    expect(label).toContain('Ada Lovelace');
    await search.fill(label);
    await modal.locator('footer button', { hasText: 'Link' }).click();
    await modal.waitFor({ state: 'detached' });
    await message.filter({ hasText: 'Contact: Ada Lovelace' }).waitFor();
  });

  it('relabels a mention from its Relabel menu: it moves to the questions channel and /crm triage counts it', async () => {
    await postMention('@lakes_fan', 'Lakes Fan', 'off to the lakes this weekend with the family, see you there');
    await page.click('text=# social-mentions');
    const message = page.locator('#messages .message', { hasText: 'off to the lakes this weekend' });
    await message.waitFor({ timeout: 15_000 });
    expect(await message.innerText()).toContain('Other');
    // Alice reads it again: the family trip is off because the tent never came. She relabels it.
    await message.locator('select.bk').selectOption({ label: 'Complaint' });
    await page.locator('#messages .message', { hasText: 'Relabelled Complaint by' }).waitFor({ timeout: 10_000 });
    await page.click('text=# social-questions');
    const moved = page.locator('#messages .message', { hasText: 'off to the lakes this weekend' });
    await moved.waitFor({ timeout: 10_000 });
    expect(await moved.innerText()).toMatch(/Complaint \(relabelled from Other by @?Alice/);
    await page.fill('#command-input', '/crm triage');
    await page.press('#command-input', 'Enter');
    const report = page.locator('#messages .message.ephemeral', { hasText: 'Triage, last 30 days' });
    await report.waitFor({ timeout: 10_000 });
    expect(await report.innerText()).toMatch(/1 corrected by the team/);
    await shot('relabel-and-triage');
  });

  it('answers /crm in a message only the person sees', async () => {
    await page.fill('#command-input', '/crm saved list');
    await page.press('#command-input', 'Enter');
    const answer = page.locator('#messages .message.ephemeral', { hasText: 'Saved replies' });
    await answer.waitFor();
    expect(await answer.innerText()).toContain('Only visible to you');
  });

  it("shows yesterday's digest with its chart, and posts a weekly one on /crm digest 7d", async () => {
    await page.click('text=# social-digest');
    const digest = page.locator('#messages .message', { hasText: 'Daily digest' }).first();
    await digest.waitFor({ timeout: 15_000 });
    expect(await digest.innerText()).toMatch(/\d+ mentions/);
    expect(await digest.innerText()).toContain('First response');
    const chart = page.locator('#messages figure.file img').first();
    await chart.waitFor();
    // The PNG really decoded in the browser: its natural size is the chart's.
    await expect.poll(() => chart.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth)).toBe(800);
    expect(await chart.getAttribute('alt')).toContain('Mentions per hour');

    await page.fill('#command-input', '/crm digest 7d');
    await page.press('#command-input', 'Enter');
    await page.locator('#messages .message', { hasText: '7-day digest' }).first().waitFor({ timeout: 15_000 });
    await page.locator('#messages .message.ephemeral', { hasText: 'is in' }).first().waitFor({ timeout: 15_000 });
    // The weekly chart comes as its own message (a file shared to the channel), after the digest.
    await expect.poll(() => page.locator('#messages figure.file img').count(), { timeout: 15_000 }).toBeGreaterThan(1);
    const weekly = page.locator('#messages figure.file img').last();
    await expect.poll(() => weekly.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth)).toBe(800);
    await shot('digest');
    await page.click('text=# social-mentions');
  });

  it('answers a delivery question by the live demo rule after its Undo window; /crm rules shows both demo rules; a rule made in the form starts as a dry run', async () => {
    await page.click('.tabs button[data-tab="x"]');
    await page.selectOption('#mention-network', 'x');
    await postMention('@ada_ships', 'Ada Ships', 'how long does delivery to Galway take?');
    await page.click('text=# social-questions');
    const message = page.locator('#messages .message', { hasText: 'delivery to Galway' });
    await message.waitFor({ timeout: 20_000 });
    await message.filter({ hasText: 'Automatic reply by rule “Delivery times”' }).waitFor({ timeout: 10_000 });
    await message.locator('.thread-link').click();
    await page.locator('#thread', { hasText: 'Automatic reply in' }).waitFor();
    await page.locator('#thread', { hasText: 'Auto-replied by rule “Delivery times”' }).waitFor({ timeout: 15_000 });
    await message.filter({ hasText: 'Auto-replied by rule “Delivery times”' }).waitFor();
    await page.screenshot({ path: path.join(os.tmpdir(), 'switchboard-automatic-reply.png') });
    await page.click('.tabs button[data-tab="x"]');
    await page.locator('#x-timeline .tweet.brand', { hasText: 'Orders ship within one working day' }).first().waitFor();
    await page.click('.tabs button[data-tab="thread"]');

    await page.fill('#command-input', '/crm rules');
    await page.press('#command-input', 'Enter');
    const list = page.locator('#messages .message.ephemeral', { hasText: 'Automatic-reply rules' }).last();
    await list.waitFor();
    expect(await list.innerText()).toMatch(/Delivery times[\s\S]*live[\s\S]*Refund worries[\s\S]*dry run/);

    await page.fill('#command-input', '/crm rules add');
    await page.press('#command-input', 'Enter');
    const modal = page.locator('.modal');
    await modal.waitFor();
    await modal.locator('input[data-action-id="rule_name"]').fill('Sizing help');
    await modal.locator('[data-action-id="rule_labels"] input[value="Question"]').check();
    await modal.locator('input[data-action-id="rule_keywords"]').fill('size, sizing, fit');
    await modal.locator('select[data-action-id="rule_saved_reply"]').selectOption('order-status');
    await modal.locator('select[data-action-id="rule_notify_channel"]').selectOption('C0ESCALATE');
    await page.screenshot({ path: path.join(os.tmpdir(), 'switchboard-rule-form.png') });
    await modal.locator('footer button', { hasText: 'Save as dry run' }).click();
    await modal.waitFor({ state: 'detached' });
    await page.fill('#command-input', '/crm rules');
    await page.press('#command-input', 'Enter');
    await page.locator('#messages .message.ephemeral', { hasText: 'Sizing help' }).last().filter({ hasText: 'dry run' }).waitFor();
    await page.click('text=# social-mentions');
  });

  it('answers a Facebook comment once and hides a spam one; answers the waiting Messenger message inside its window', async () => {
    await page.click('.tabs button[data-tab="x"]');
    await page.selectOption('#mention-network', 'facebook');
    await page.fill('#mention-handle', 'katherine.j');
    await page.fill('#mention-name', 'Katherine Johnson');
    await page.fill('#mention-text', 'Where is my order 5521? It was due yesterday.');
    await page.click('#mention-form button[type="submit"]');
    await page.fill('#mention-text', 'CHEAP FOLLOWERS at spam dot example, click now!!!');
    await page.click('#mention-form button[type="submit"]');
    await page.click('.tabs button[data-tab="thread"]');

    const comment = await findMessage('order 5521');
    expect(await comment.innerText()).toContain('on 📘 Facebook');
    for (const label of ['Reply', 'Like', 'Hide']) await expect(comment.locator('button.bk', { hasText: label }).count()).resolves.toBe(1);
    await comment.locator('button.bk', { hasText: 'Reply' }).click();
    const modal = page.locator('.modal');
    await modal.waitFor();
    // Facebook threads the reply under the comment: nothing to address it to.
    expect(await modal.locator('textarea').inputValue()).toBe('');
    await modal.locator('textarea').fill('Sorry Katherine, order 5521 leaves the warehouse today.');
    await modal.locator('footer button', { hasText: 'Send' }).click();
    await modal.waitFor({ state: 'detached' });
    await comment.filter({ hasText: 'Replied by' }).waitFor({ timeout: 15_000 });

    const spam = await findMessage('CHEAP FOLLOWERS');
    await spam.locator('button.bk', { hasText: 'Hide' }).click();
    await spam.filter({ hasText: 'Hidden by' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(os.tmpdir(), 'switchboard-facebook.png') });

    await page.click('.tabs button[data-tab="x"]');
    await page.locator('#x-timeline .tweet.facebook.brand', { hasText: 'order 5521 leaves the warehouse today' }).waitFor();
    await page.locator('#x-timeline .tweet.facebook', { hasText: 'hidden by the brand' }).waitFor();
    await page.click('.tabs button[data-tab="thread"]');

    // The Messenger conversation the sandbox starts with, answered from its thread.
    await page.click('text=# social-dms');
    const conversation = page.locator('#messages .message', { hasText: 'winter parka' });
    await conversation.waitFor({ timeout: 20_000 });
    expect(await conversation.innerText()).toContain('Facebook');
    await conversation.locator('.thread-link').click();
    await page.fill('#thread-input', 'reply: Yes! Size M is back since Monday.');
    await page.press('#thread-input', 'Enter');
    await page.locator('#thread .message', { hasText: 'Size M is back' }).filter({ hasText: 'Sent by' }).waitFor({ timeout: 15_000 });
    await page.click('.tabs button[data-tab="x"]');
    await page.locator('#x-timeline .tweet.facebook.brand.private', { hasText: 'Size M is back since Monday.' }).waitFor();
    await page.click('.tabs button[data-tab="log"]');
    await page.locator('#log .log-entry', { hasText: 'meta → bot' }).first().waitFor();
    await page.click('.tabs button[data-tab="thread"]');
    await page.click('text=# social-mentions');
  });

  it('works like Slack: the draft survives an error, Escape and "You are" close a form, focus and opened log entries stay, answers stay where one acted', async () => {
    await page.click('text=# social-mentions');
    const message = page.locator('#messages .message', { hasText: 'on 𝕏 X' }).first();
    await message.locator('button.bk', { hasText: 'Reply' }).click();
    const modal = page.locator('.modal');
    await modal.waitFor();
    expect(await modal.getAttribute('aria-modal')).toBe('true');
    expect(await modal.getAttribute('aria-labelledby')).toBe('modal-title');
    // Too long for X: the error appears beside the field and the draft stays.
    const draft = `${'Thanks for your patience, we are looking into it. '.repeat(7)}`;
    await modal.locator('textarea').fill(draft);
    await modal.locator('footer button', { hasText: 'Send' }).click();
    await modal.locator('.error').waitFor({ timeout: 10_000 });
    expect(await modal.locator('textarea').inputValue()).toBe(draft);
    await page.screenshot({ path: path.join(os.tmpdir(), 'switchboard-form-error.png') });
    // Tab stays inside the dialog.
    for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate("Boolean(document.activeElement?.closest('.modal'))")).toBe(true);
    // The form is Alice's: Sam does not see it; back to Alice it is there; Escape closes it.
    await page.selectOption('#person', 'U0SAM00001');
    await modal.waitFor({ state: 'detached' });
    await page.selectOption('#person', 'U0ALICE001');
    await modal.waitFor();
    await page.keyboard.press('Escape');
    await modal.waitFor({ state: 'detached' });

    // Focus stays on the button a person is on while new mentions arrive.
    const resolve = message.locator('button.bk', { hasText: 'Resolve' });
    const ts = await message.getAttribute('data-ts');
    await resolve.focus();
    const count = await page.locator('#messages .message').count();
    await postMention('@focus_tester', 'Focus Tester', 'a new mention while someone is on a button');
    await page.click('text=# social-mentions');
    await resolve.focus();
    await expect.poll(() => page.locator('#messages .message').count(), { timeout: 20_000 }).toBeGreaterThan(count);
    expect(await page.evaluate("document.activeElement?.closest('.message')?.getAttribute('data-ts')")).toBe(ts);
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Resolve');
    // …and the arrival is announced politely.
    expect(await page.locator('#announcer').getAttribute('aria-live')).toBe('polite');
    await expect.poll(() => page.locator('#announcer').innerText(), { timeout: 10_000 }).toContain('New message');

    // An answer only the person sees: from the app, under the message acted on (a viewer liking).
    await page.selectOption('#person', 'U0SAM00001');
    await message.locator('button.bk', { hasText: /^Like/ }).click();
    const answer = page.locator('#messages .message.ephemeral').last();
    await answer.waitFor({ timeout: 10_000 });
    expect(await answer.innerText()).toContain('Only visible to you');
    expect(await answer.locator('.author').innerText()).toBe('Switchboard');
    expect(
      await page.evaluate(
        `document.querySelector('#messages .message[data-ts="${ts}"]')?.nextElementSibling?.classList.contains('ephemeral')`,
      ),
    ).toBe(true);
    await page.selectOption('#person', 'U0ALICE001');

    // The request log: an entry opened stays open while the pollers log more; "my requests" shows only the page's.
    await page.click('.tabs button[data-tab="log"]');
    const entry = page.locator('#log .log-entry', { hasText: 'page → bot' }).first();
    await entry.locator('summary').click();
    const calls = await page.locator('#log .log-entry').count();
    await expect.poll(() => page.locator('#log .log-entry').count(), { timeout: 20_000 }).toBeGreaterThan(calls);
    expect(await entry.getAttribute('open')).not.toBeNull();
    await page.selectOption('#log-filter', 'page');
    const visible = await page.locator('#log .log-entry:visible .dir').allInnerTexts();
    expect(new Set(visible)).toEqual(new Set(['page → bot']));
    await page.selectOption('#log-filter', 'all');
    await page.click('.tabs button[data-tab="thread"]');
  });

  it('shows the App Home inbox: lists with counts, assign from it, and Mine follows', async () => {
    await page.click('#home-button');
    const home = page.locator('#messages');
    await home.locator('button.bk', { hasText: /^Unassigned \(\d+\)/ }).waitFor({ timeout: 15_000 });
    await home.locator('button.bk', { hasText: /^Unassigned/ }).click();
    await home.locator('.block-section', { hasText: 'on ' }).first().waitFor({ timeout: 10_000 });
    const mineBefore = Number((await home.locator('button.bk', { hasText: /^Mine/ }).innerText()).match(/\((\d+)\)/)?.[1]);
    await home.locator('button.bk', { hasText: 'Assign to me' }).first().click();
    await expect
      .poll(async () => Number((await home.locator('button.bk', { hasText: /^Mine/ }).innerText()).match(/\((\d+)\)/)?.[1]), {
        timeout: 15_000,
      })
      .toBe(mineBefore + 1);
    await home.locator('button.bk', { hasText: /^Mine/ }).click();
    await home.locator('button.bk', { hasText: 'Unassign' }).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(os.tmpdir(), 'switchboard-app-home.png') });
    await page.click('text=# social-mentions');
  });

  it('has no serious or critical accessibility violations (axe-core), with and without a form open', async () => {
    const check = async () => {
      await page.addScriptTag({ path: AXE });
      // Run in the page (this file has no DOM types): axe's own result shape, read back as JSON.
      const result = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as {
        violations: Array<{ id: string; impact: string; nodes: Array<{ target: unknown }> }>;
      };
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`);
    };
    expect(await check()).toEqual([]);
    await page.locator('#messages .message', { hasText: 'on 𝕏 X' }).first().locator('button.bk', { hasText: 'Reply' }).click();
    await page.locator('.modal').waitFor();
    expect(await check()).toEqual([]);
    await page.keyboard.press('Escape');
    await page.locator('.modal').waitFor({ state: 'detached' });
  });

  it('plays a surge: one surge message, the known customer’s complaint alone, the crowd in its thread, each with its menu', async () => {
    await page.click('.tabs button[data-tab="x"]');
    await page.click('#surge-submit');
    await page.click('.tabs button[data-tab="thread"]');
    await page.click('text=# social-questions');
    const surge = page.locator('#messages .message', { hasText: 'Surge in progress' });
    await surge.waitFor({ timeout: 30_000 });
    // Margaret (a demo customer with an order) is posted alone, as a mention message with its buttons.
    const margaret = page.locator('#messages .message', { hasText: 'order 10482 is stuck at payment' });
    await margaret.waitFor({ timeout: 20_000 });
    expect(await margaret.locator('button.bk', { hasText: 'Reply' }).count()).toBe(1);
    await surge.locator('.thread-link').click();
    const batch = page.locator('#thread .message', { hasText: 'Shopper' }).first();
    await batch.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(os.tmpdir(), 'switchboard-surge.png') });
    await batch.locator('select.overflow').first().selectOption({ label: 'Assign to me' });
    await page
      .locator('#thread .message', { hasText: 'Shopper' })
      .filter({ hasText: 'Alice' })
      .first()
      // The batch is redrawn at Slack's pace (one call a second in the channel), behind the surge's own posts.
      .waitFor({ timeout: 40_000 })
      .catch(async (error: unknown) => {
        await shot('surge-debug');
        const thread = await page.locator('#thread').innerText();
        throw new Error(`${error instanceof Error ? error.message : String(error)}\nthe thread read:\n${thread.slice(0, 3000)}`);
      });
    await page.click('text=# social-mentions');
  });

  it('answers a private message from its thread in #social-dms, and the customer gets it privately', async () => {
    // A customer writes privately from the Networks view.
    await page.click('.tabs button[data-tab="x"]');
    await page.selectOption('#mention-network', 'bluesky');
    await page.fill('#mention-handle', '@grace.bsky.social');
    await page.fill('#mention-name', 'Grace Hopper');
    await page.fill('#mention-text', 'my parcel 77-GH is lost, can you help?');
    await page.click('#dm-submit');
    await page.locator('#x-timeline .tweet.private', { hasText: 'my parcel 77-GH is lost' }).waitFor();
    await page.click('.tabs button[data-tab="thread"]');

    await page.click('text=# social-dms');
    const conversation = page.locator('#messages .message', { hasText: 'my parcel 77-GH is lost' });
    await conversation.waitFor({ timeout: 20_000 });
    for (const label of ['Reply', 'Assign to me', 'Resolve', 'Link contact']) {
      await expect(conversation.locator('button.bk', { hasText: label }).count()).resolves.toBe(1);
    }
    expect(await conversation.innerText()).toContain('Waiting for an answer');
    // The demo's earlier conversations are there too, one thread each.
    await page.locator('#messages .message', { hasText: 'order #2231' }).waitFor();
    // Nothing private reached the mentions channels.
    for (const channel of ['# social-mentions', '# social-questions']) {
      await page.click(`text=${channel}`);
      expect(await page.locator('#messages .message', { hasText: '77-GH' }).count()).toBe(0);
    }

    await page.click('text=# social-dms');
    await conversation.locator('button.bk', { hasText: 'Assign to me' }).click();
    await conversation.filter({ hasText: 'Owned by' }).waitFor();
    await conversation.locator('.thread-link').click();
    await page.fill('#thread-input', 'reply: So sorry Grace, a new parcel ships today.');
    await page.press('#thread-input', 'Enter');
    await page.locator('#thread .message', { hasText: 'So sorry Grace' }).filter({ hasText: 'Sent by' }).waitFor({ timeout: 15_000 });
    await conversation.filter({ hasNotText: 'Waiting for an answer' }).waitFor();
    // What a person sees, for a look after a run (README's copy is committed, not rewritten by tests).
    await page.screenshot({ path: path.join(os.tmpdir(), 'switchboard-private-messages.png') });

    await page.click('.tabs button[data-tab="x"]');
    await page.locator('#x-timeline .tweet.brand.private', { hasText: 'So sorry Grace, a new parcel ships today.' }).waitFor();
    await page.click('.tabs button[data-tab="thread"]');
    await page.click('text=# social-mentions');
  });

  it('logs the signed requests the page sent and the bot’s calls to the stand-ins', async () => {
    await page.click('.tabs button[data-tab="log"]');
    await page.locator('#log .log-entry', { hasText: 'page → bot' }).first().waitFor();
    await page.locator('#log .log-entry', { hasText: 'chat.postMessage' }).first().waitFor();
    await page
      .locator('#log .log-entry', { hasText: /tweets\.create|statuses\.create|createRecord|sendMessage|POST comments|POST messages/ })
      .first()
      .waitFor();
    const entry = page.locator('#log .log-entry', { hasText: 'page → bot' }).first();
    await entry.locator('summary').click();
    expect(await entry.locator('pre').innerText()).toContain('x-slack-signature');
  });
});
