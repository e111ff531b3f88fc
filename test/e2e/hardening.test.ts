import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCrmCli } from '../helpers/crm-cli.ts';
import { useChildBotBed, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

describe('what leaves the process: /healthz, logs, the Link contact form', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it('redacts tokens that a vendor error echoes into /healthz', async () => {
    const { x } = bed.standins;
    // A proxy in front of X answers with the request's own Authorization header in its error.
    x.faults.inject(
      'mentions',
      { kind: 'status', status: 502, body: { title: 'Bad Gateway', detail: `upstream refused Authorization: Bearer ${x.bearerToken}` } },
      50,
    );
    await bed.start();
    const health = await waitUntil(async () => {
      const body = await bed.health();
      return body.platforms.x?.detail?.includes('upstream refused') ? body : undefined;
    }, 10_000);
    expect(JSON.stringify(health)).not.toContain(x.bearerToken);
    expect(JSON.stringify(health)).toContain('Bearer [redacted]');
  });

  it("keeps people's words out of the debug log", async () => {
    await bed.start({ LOG_LEVEL: 'debug' });
    await flow.mention('my card 4242 was charged twice', { username: 'secretive', name: 'Zelda Secretname' });
    await flow.command('lookup Zelda Secretname');
    await flow.command('note @secretive lives at 7 Hidden Lane');
    const logs = bed.bot.logs.join('\n');
    expect(logs).not.toContain('Secretname');
    expect(logs).not.toContain('Hidden Lane');
    expect(logs).not.toContain('card 4242');
  });

  it('checks the Link contact form before making a contact: a refused form leaves no orphan', async () => {
    await bed.start();
    const mention = await flow.mention('hello', { username: 'ada_l', name: 'Ada Lovelace' });
    const before = bed.standins.slack.views().length;
    await flow.press('mention_link_contact', mention.message, mention.key);
    const view = await waitUntil(() => bed.standins.slack.views()[before], 5_000, 'the Link contact modal');
    const { viewSubmission } = await import('../../src/sandbox/slack-payloads.ts');
    const damaged = { ...view, view: { ...view.view, private_metadata: JSON.stringify({ mentionKey: 'x:does-not-exist' }) } };
    const refused = await flow.send(viewSubmission({ view: damaged, values: { contact_new_name: 'Orphan Person' } }));
    expect(JSON.parse(refused.text).response_action).toBe('errors');
    expect((await flow.command('lookup Orphan Person')).text).toContain('No contact matches');
  });
});

describe('files on disk', () => {
  const bed = useChildBotBed();

  it('keeps the data folder to its owner: folders 0700, files 0600', async () => {
    const bot = await bed.start();
    bed.standins.x.addMention({ username: 'ada_l', name: 'Ada Lovelace' }, 'hello');
    await waitUntil(() => bed.standins.slack.allMessages().length === 1, 15_000, 'the mention');
    await bot.waitForLog(/posted x:/);
    const modes: string[] = [];
    for (const entry of await readdir(bed.dataDir, { recursive: true, withFileTypes: true })) {
      const full = path.join(entry.parentPath, entry.name);
      // The bot is still writing (a temp file renamed over its target may be gone already).
      const found = await stat(full).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (found) modes.push(`${entry.isDirectory() ? 'dir' : 'file'} ${(found.mode & 0o777).toString(8)}`);
    }
    expect(modes.length).toBeGreaterThan(3);
    expect(new Set(modes)).toEqual(new Set(['dir 700', 'file 600']));
    expect(((await stat(bed.dataDir)).mode & 0o777).toString(8)).toBe('700');
  });

  it('exports customers readable by their owner only, and never into the data folder', async () => {
    const cli = (...args: string[]) => runCrmCli(bed.dataDir, args);
    const inside = await cli('export', path.join(bed.dataDir, 'contacts.json'));
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('Refusing to export into the data folder');
    const outside = path.join(path.dirname(bed.dataDir), `export-${path.basename(bed.dataDir)}.json`);
    const done = await cli('export', outside);
    expect(done.code).toBe(0);
    expect(((await stat(outside)).mode & 0o777).toString(8)).toBe('600');
    await import('node:fs/promises').then((fs) => fs.rm(outside, { force: true }));
  });
});
