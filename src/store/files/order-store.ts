import path from 'node:path';
import type { OrderRecord } from '../../domain/records.ts';
import type { OrderRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { isOrderRecord, PERSONAL } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

export class OrderStore implements OrderRepository {
  private readonly byContact = new Map<string, Set<string>>();
  private collection!: SegmentedCollection<OrderRecord, 'email' | 'customerExternalId', 'contactId'>;

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<OrderStore> {
    const store = new OrderStore();
    store.collection = await SegmentedCollection.open<OrderRecord, 'email' | 'customerExternalId', 'contactId'>(
      path.join(dataDir, 'orders'),
      {
        partitionOf: (order) => order.createdAt.slice(0, 7),
        isRecord: isOrderRecord,
        onOpenPlain: (order) => store.index(order),
        indexFields: ['contactId'],
        personal: PERSONAL.orders,
        cipher: options.cipher,
      },
    );
    return store;
  }

  /** What `npm run crm -- encrypt` re-seals. */
  get sealable(): Sealable {
    return this.collection;
  }

  /** What `npm run store -- migrate` copies. */
  get copy(): CollectionCopy {
    return this.collection.copier();
  }

  get(key: string): Promise<OrderRecord | undefined> {
    return this.collection.get(key);
  }

  async save(order: OrderRecord): Promise<void> {
    const previous = await this.collection.get(order.key);
    if (previous?.contactId && previous.contactId !== order.contactId) this.byContact.get(previous.contactId)?.delete(order.key);
    await this.collection.put(order);
    this.index(order);
  }

  async *all(): AsyncGenerator<OrderRecord> {
    for (const partition of this.collection.partitions()) yield* this.collection.readPartition(partition);
  }

  async forContact(contactId: string): Promise<OrderRecord[]> {
    const orders: OrderRecord[] = [];
    for (const key of this.byContact.get(contactId) ?? []) {
      const order = await this.collection.get(key);
      if (order) orders.push(order);
    }
    return orders.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  /** Moves a contact's orders to another (a merge). */
  async reassign(from: string, to: string): Promise<void> {
    for (const order of await this.forContact(from)) await this.save({ ...order, contactId: to });
  }

  async deleteForContact(contactId: string): Promise<number> {
    const keys = [...(this.byContact.get(contactId) ?? [])];
    for (const key of keys) await this.delete(key);
    return keys.length;
  }

  async delete(key: string): Promise<void> {
    const order = await this.collection.get(key);
    if (order?.contactId) this.byContact.get(order.contactId)?.delete(key);
    await this.collection.delete(key);
  }

  private index(order: Pick<OrderRecord, 'key' | 'contactId'>): void {
    if (!order.contactId) return;
    const keys = this.byContact.get(order.contactId) ?? new Set<string>();
    keys.add(order.key);
    this.byContact.set(order.contactId, keys);
  }
}
