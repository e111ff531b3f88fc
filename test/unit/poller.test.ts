import { describe, expect, it } from 'vitest';
import { Poller } from '../../src/jobs/poller.ts';
import { createLog } from '../../src/log.ts';
import { Health } from '../../src/services/health.ts';
import type { PollResult } from '../../src/services/ingest.ts';

describe('the poller', () => {
  it('does not lose a "poll now" asked while a poll is running: the next poll follows at once', async () => {
    let polls = 0;
    let firstStarted: () => void = () => {};
    const firstRunning = new Promise<void>((resolve) => {
      firstStarted = resolve;
    });
    let finishFirst: () => void = () => {};
    const firstMayFinish = new Promise<void>((resolve) => {
      finishFirst = resolve;
    });
    const ingest = {
      pollOnce: async (): Promise<PollResult> => {
        polls++;
        if (polls === 1) {
          firstStarted();
          await firstMayFinish;
        }
        return { fetched: 0, posted: 0, pages: 1 };
      },
    };
    const poller = new Poller('x', ingest, new Health(), createLog({ level: 'error', write: () => {} }), {
      platformName: 'X',
      intervalMs: 3_600_000, // an hour: only pollNow can bring the second poll
      retryBaseMs: 10,
      retryMaxMs: 100,
    });
    poller.start();
    await firstRunning;
    poller.pollNow(); // while the first poll runs
    finishFirst();
    const deadline = Date.now() + 2_000;
    while (polls < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await poller.stop();
    expect(polls).toBe(2);
  });
});
