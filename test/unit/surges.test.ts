import { describe, expect, it } from 'vitest';
import { compareQueued, PriorityQueue, priorityOf } from '../../src/domain/delivery-order.ts';
import { addToSurge, emptySurgeFigures, SurgeWatch, topTerms } from '../../src/domain/surges.ts';

const settings = { backlogSeconds: 60, sigmas: 4, minPerMinute: 30, coolDownSeconds: 300 };
const minute = 60_000;

describe('surge watch', () => {
  it('enters when the backlog would take longer than the threshold at Slack’s pace, and leaves only after a calm cool-down', () => {
    const watch = new SurgeWatch(settings);
    expect(watch.update(60, 1, 0)).toBeUndefined();
    expect(watch.update(61, 1, 1_000)).toBe('entered');
    expect(watch.update(20, 1, 2_000)).toBeUndefined(); // shorter, but not calm yet
    expect(watch.update(10, 1, 3_000)).toBeUndefined(); // calm starts
    expect(watch.update(10, 1, 3_000 + 299_000)).toBeUndefined();
    expect(watch.update(30, 1, 3_000 + 299_500)).toBeUndefined(); // not calm: the cool-down starts again
    expect(watch.update(0, 1, 400_000)).toBeUndefined();
    expect(watch.update(0, 1, 400_000 + 300_000)).toBe('left');
  });

  it('enters when a minute’s arrivals jump far above the usual minutes, not on an ordinary busy one', () => {
    const watch = new SurgeWatch(settings);
    // Ten ordinary minutes of 8 to 12 mentions.
    for (let m = 0; m < 10; m++) {
      watch.arrived(8 + (m % 5), m * minute);
      expect(watch.update(0, 1, m * minute + 1)).toBeUndefined();
    }
    watch.arrived(25, 10 * minute); // busy, but under the 30 a minute floor
    expect(watch.update(0, 1, 10 * minute + 1)).toBeUndefined();
    watch.arrived(200, 11 * minute);
    expect(watch.update(0, 1, 11 * minute + 1)).toBe('entered');
  });
});

describe('delivery order', () => {
  it('puts known contacts’ questions and complaints first, then other questions and complaints, then the rest, oldest first', () => {
    expect(priorityOf('Complaint', true)).toBe(1);
    expect(priorityOf('Question', false)).toBe(2);
    expect(priorityOf('Praise', true)).toBe(3);
    const queue = new PriorityQueue(compareQueued);
    const entry = (key: string, priority: 1 | 2 | 3, createdAt: string) => ({
      key,
      channel: 'C',
      priority,
      createdAt,
      queuedAt: createdAt,
    });
    for (const item of [
      entry('a', 3, '1'),
      entry('b', 2, '3'),
      entry('c', 1, '9'),
      entry('d', 2, '2'),
      entry('e', 3, '0'),
      entry('f', 1, '4'),
    ]) {
      queue.push(item);
    }
    expect(Array.from({ length: 6 }, () => queue.pop()?.key)).toEqual(['f', 'c', 'd', 'b', 'e', 'a']);
    expect(queue.pop()).toBeUndefined();
  });
});

describe('surge figures', () => {
  it('count labels, networks and sentiment, keep three examples, and find the top terms without handles or common words', () => {
    let figures = emptySurgeFigures();
    const texts = ['@northwind the app is down again', 'app down for me too @northwind', 'checkout broken, app down', 'love you anyway'];
    for (const [i, text] of texts.entries()) {
      figures = addToSurge(figures, {
        key: `x:${i}`,
        text,
        label: i < 3 ? 'Complaint' : 'Praise',
        platform: i % 2 ? 'mastodon' : 'x',
        sentiment: i < 3 ? -0.5 : 0.6,
      });
    }
    expect(figures.total).toBe(4);
    expect(figures.byLabel).toEqual({ Complaint: 3, Praise: 1 });
    expect(figures.byNetwork).toEqual({ x: 2, mastodon: 2 });
    expect(figures.sentiment).toEqual({ positive: 1, neutral: 0, negative: 3 });
    expect(figures.examples).toEqual(['x:0', 'x:1', 'x:2']);
    expect(topTerms(figures, 2)).toEqual(['app', 'down']);
  });
});
