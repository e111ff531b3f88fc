import { describe, expect, it } from 'vitest';
import { ChannelPacer } from '../../src/slack/channel-pacer.ts';

/** A fake clock: sleeping advances time instantly, so the test measures pacing, not the wall clock. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

describe('ChannelPacer', () => {
  it('lets a burst through, then spaces posts one per second per channel', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 3, ...clock });
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      await pacer.take('C1');
      times.push(clock.now());
    }
    expect(times).toEqual([0, 0, 0, 1000, 2000, 3000]);
  });

  it('paces each channel on its own', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 1, ...clock });
    await pacer.take('C1');
    await pacer.take('C2');
    expect(clock.now()).toBe(0);
  });

  it('holds a channel for Retry-After seconds after a 429', async () => {
    const clock = fakeClock();
    const pacer = new ChannelPacer({ perSecond: 1, burst: 3, ...clock });
    await pacer.take('C1');
    pacer.holdOff('C1', 5);
    await pacer.take('C1');
    expect(clock.now()).toBe(6000);
  });
});
