import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore } from '../../src/store/files/file-store.ts';
import { StoreFileError } from '../../src/store/files/json-file.ts';
import { tempDataDir } from '../helpers/harness.ts';

const decision = (n: number, at = new Date().toISOString()) => ({
  key: `x:${n}|rule-1`,
  itemKey: `x:${n}`,
  ruleId: 'rule-1',
  contactId: `person-${n}`,
  at,
  outcome: 'reply' as const,
});

describe('the automatic-reply decisions file', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  beforeEach(async () => {
    data = await tempDataDir();
  });
  afterEach(() => data.remove());
  const file = () => path.join(data.dir, 'auto-reply-decisions.jsonl');

  it('appends one line per decision and reads them back after a restart, leaving out a last line a crash cut short', async () => {
    const store = await openFileStore(data.dir);
    for (let n = 0; n < 3; n++) await store.autoReplies.decide(decision(n));
    await store.close();
    expect((await readFile(file(), 'utf8')).trim().split('\n')).toHaveLength(3);

    await writeFile(file(), `${await readFile(file(), 'utf8')}{"key":"x:9|rule-1","itemK`);
    const reopened = await openFileStore(data.dir);
    expect(await reopened.autoReplies.getDecision('x:2|rule-1')).toMatchObject({ contactId: 'person-2' });
    expect(await reopened.autoReplies.getDecision('x:9|rule-1')).toBeUndefined();
    await reopened.close();
  });

  it('refuses to start on a damaged line in the middle, naming the file, and leaves it as it was', async () => {
    const line = JSON.stringify(decision(1));
    const damaged = `${line}\nnot json at all\n${line.replace('x:1', 'x:2')}\n`;
    await writeFile(file(), damaged);
    const opening = openFileStore(data.dir);
    await expect(opening).rejects.toBeInstanceOf(StoreFileError);
    await expect(opening).rejects.toThrow(/auto-reply-decisions\.jsonl cannot be used: line 2 is not valid JSON/);
    expect(await readFile(file(), 'utf8')).toBe(damaged);
  });

  it('drops decisions older than a week when it rewrites the file, and moves decisions an older version kept beside the rules', async () => {
    const old = decision(1, new Date(Date.now() - 9 * 86_400_000).toISOString());
    await writeFile(path.join(data.dir, 'auto-replies.json'), JSON.stringify({ rules: [], decisions: [old, decision(2)] }));
    const store = await openFileStore(data.dir);
    expect(await store.autoReplies.getDecision('x:1|rule-1')).toBeUndefined();
    expect(await store.autoReplies.getDecision('x:2|rule-1')).toBeDefined();
    await store.close();
    expect(JSON.parse(await readFile(path.join(data.dir, 'auto-replies.json'), 'utf8'))).toEqual({ rules: [] });
    expect((await readFile(file(), 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
