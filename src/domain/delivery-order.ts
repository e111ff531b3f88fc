import type { ContactRecord, DeliveryPriority, QueuedMention } from './records.ts';
import type { Label } from './triage/labels.ts';
import { needsAnswer } from './triage/labels.ts';

/**
 * Whether the CRM knew this person before the item arrived: an import or a sync gave them an
 * email, a phone, a company, tags or fields (orders are linked by email), they were linked across
 * networks, or their contact is older than the item.
 */
export function isKnownContact(contact: ContactRecord | undefined, arrivedAt: string): boolean {
  return Boolean(
    contact &&
      (contact.emails?.length ||
        contact.phone ||
        contact.company ||
        contact.tags?.length ||
        Object.keys(contact.fields ?? {}).length ||
        contact.identities.length > 1 ||
        Date.parse(contact.createdAt) < Date.parse(arrivedAt) - 60_000),
  );
}

/** Who needs an answer first (see DeliveryPriority). */
export function priorityOf(label: Label, isKnown: boolean): DeliveryPriority {
  if (!needsAnswer(label)) return 3;
  return isKnown ? 1 : 2;
}

/** Priority class first, then the oldest post, then the key (a stable order for equal times). */
export function compareQueued(a: QueuedMention, b: QueuedMention): number {
  return (
    a.priority - b.priority || (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  );
}

/** A binary heap: the first in `compare` order comes out first; adding and taking cost log n. */
export class PriorityQueue<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.compare(items[index] as T, items[parent] as T) >= 0) break;
      [items[index], items[parent]] = [items[parent] as T, items[index] as T];
      index = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    items[0] = last;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < items.length && this.compare(items[left] as T, items[smallest] as T) < 0) smallest = left;
      if (right < items.length && this.compare(items[right] as T, items[smallest] as T) < 0) smallest = right;
      if (smallest === index) break;
      [items[index], items[smallest]] = [items[smallest] as T, items[index] as T];
      index = smallest;
    }
    return top;
  }
}
