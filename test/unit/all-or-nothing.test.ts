import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.ts';
import { Crm } from '../../src/services/crm.ts';
import { ErasureService } from '../../src/services/erasure.ts';
import { openFileStore as openStore, type FileStore as Store } from '../../src/store/files/file-store.ts';
import { jsonFilesText } from '../helpers/data-files.ts';
import { storedPerson } from '../helpers/factories.ts';
import { tempDataDir } from '../helpers/harness.ts';
import { recordingTeamChat } from '../helpers/team-chat.ts';

/**
 * Merges and erasures touch several files. Cut short at any step (an error here; a crash is the
 * same to the files), the next start finishes them: never half a merge, never half an erasure.
 */
describe('operations over several files, cut short', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let store: Store;
  beforeEach(async () => {
    data = await tempDataDir();
    store = await openStore(data.dir);
  });
  afterEach(async () => {
    store.close();
    await data.remove();
  });

  /** Makes one store method fail once, the way a crash stops an operation at that step. */
  function failOnce(target: object, method: string): void {
    const original = ((target as Record<string, unknown>)[method] as (...args: unknown[]) => unknown).bind(target);
    (target as Record<string, unknown>)[method] = async () => {
      (target as Record<string, unknown>)[method] = original;
      throw new Error(`cut short at ${method}`);
    };
  }

  const reopen = async () => {
    store.close();
    store = await openStore(data.dir);
  };

  it.each([
    ['mentions', 'reassignContact'],
    ['timeline', 'reassign'],
    ['orders', 'reassign'],
    ['likes', 'reassign'],
  ] as const)('finishes a merge cut short at %s.%s at the next start', async (storeName, method) => {
    const ada = await storedPerson(store, '1', 'Ada');
    const adaWork = await storedPerson(store, '2', 'Augusta');
    failOnce(store[storeName], method);
    await expect(new Crm(store).merge(ada, adaWork)).rejects.toThrow(`cut short at ${method}`);

    await reopen();
    expect((await store.interrupted()).map(({ operation }) => operation.kind)).toEqual(['merge']);
    expect(await new Crm(store).finishInterrupted()).toBe(1);
    expect(await store.interrupted()).toEqual([]);

    expect(await store.contacts.get(adaWork.key)).toBeUndefined();
    const merged = await store.contacts.get(ada.key);
    expect(merged?.identities.map((identity) => identity.handle).sort()).toEqual(['ada_h', 'augusta_h']);
    expect(await store.mentions.keysForContact(ada.key)).toHaveLength(2);
    expect(await store.timeline.forContact(ada.key)).toHaveLength(2);
    expect(await store.orders.forContact(ada.key)).toHaveLength(2);
    expect((await store.likes.forPerson(ada.key, [])).map((like) => like.key).sort()).toEqual(['x:like-1', 'x:like-2']);
  });

  it.each([
    ['mentions', 'deleteForContact'],
    ['timeline', 'deleteForContact'],
    ['orders', 'deleteForContact'],
    ['likes', 'deleteForPerson'],
    ['contacts', 'delete'],
  ] as const)('finishes an erasure cut short at %s.%s at the next start, leaving no trace in any file', async (storeName, method) => {
    const ada = await storedPerson(store, '1', 'Ada');
    await storedPerson(store, '2', 'Grace');
    const chat = recordingTeamChat();
    const erasureOf = (current: Store) =>
      new ErasureService(
        current,
        { holdForErasure: (_keys, erase) => erase() },
        chat,
        { redrawCovering: async () => ({ redrawn: 0, failed: 0 }) },
        createLog({ level: 'error' }),
      );
    failOnce(store[storeName], method);
    await expect(erasureOf(store).forget(ada, 'U0ADMIN01')).rejects.toThrow(`cut short at ${method}`);

    await reopen();
    expect((await store.interrupted()).map(({ operation }) => operation.kind)).toEqual(['forget']);
    expect(await erasureOf(store).finishInterrupted()).toBe(1);
    expect(await store.interrupted()).toEqual([]);

    const files = await jsonFilesText(data.dir);
    for (const trace of ['Ada', 'ada_h', 'ada@example.com']) expect(files, trace).not.toContain(trace);
    expect(files).toContain('Grace');
    const erasures = (await store.audit.latest(10)).filter((entry) => entry.action === 'erasure');
    expect(erasures).toHaveLength(1);
  });
});
