import { randomUUID } from 'node:crypto';
import type { CustomerData, CustomerInput } from '../domain/customer-data.ts';
import type { ContactRecord, OrderRecord } from '../domain/records.ts';
import { type PlatformId, profileUrlOf } from '../platforms/platform.ts';
import type { Repositories, Store } from './repositories.ts';

export interface SyncResult {
  customers: { created: number; updated: number; unchanged: number };
  orders: { created: number; updated: number; unchanged: number; unlinked: number };
}

/**
 * Applies checked customer and order data (from `npm run crm -- import` or POST /crm/sync).
 * Idempotent: the same data twice changes nothing the second time. Customers are matched by the
 * shop's customer ID, then email, then a handle on X, Mastodon or Bluesky; orders link by customer ID, then email.
 */
export class CustomerSync {
  constructor(private readonly store: Store) {}

  /**
   * All or nothing (`Store.atomically`): on PostgreSQL one transaction; on the files, an import cut
   * short by a crash is run again to the end at the next start (`finishInterrupted`).
   */
  apply(data: CustomerData): Promise<SyncResult> {
    return this.store.atomically({ kind: 'import', data }, (repositories) => applyTo(repositories, data));
  }

  /** Finishes imports a crash cut short (start-up, and before the next import). Returns how many. */
  async finishInterrupted(): Promise<number> {
    let finished = 0;
    for (const { operation, done } of await this.store.interrupted()) {
      if (operation.kind !== 'import') continue;
      await applyTo(this.store, operation.data);
      await done();
      finished += 1;
    }
    return finished;
  }
}

/** Idempotent: the same data twice changes nothing the second time, so a re-run finishes a cut-short one. */
async function applyTo(store: Repositories, data: CustomerData): Promise<SyncResult> {
  {
    const result: SyncResult = {
      customers: { created: 0, updated: 0, unchanged: 0 },
      orders: { created: 0, updated: 0, unchanged: 0, unlinked: 0 },
    };
    for (const customer of data.customers) result.customers[await applyCustomer(store, customer)]++;
    for (const order of data.orders) {
      const contact =
        (order.customerExternalId ? await store.contacts.findByExternalId(order.customerExternalId) : undefined) ??
        (order.email ? await store.contacts.findByEmail(order.email) : undefined);
      if (!contact) result.orders.unlinked++;
      const key = `order:${order.externalId}`;
      const existing = await store.orders.get(key);
      const next: OrderRecord = { key, ...order, contactId: contact?.key, importedAt: existing?.importedAt ?? new Date().toISOString() };
      if (existing && sameOrder(existing, next)) {
        result.orders.unchanged++;
        continue;
      }
      await store.orders.save(next);
      result.orders[existing ? 'updated' : 'created']++;
    }
    return result;
  }
}

async function findByHandles(store: Repositories, customer: CustomerInput): Promise<ContactRecord | undefined> {
  for (const { platform, handle } of handlesOf(customer)) {
    const found = await store.contacts.findByAuthor(platform, { id: '', handle });
    if (found) return found;
  }
  return undefined;
}

async function applyCustomer(store: Repositories, customer: CustomerInput): Promise<'created' | 'updated' | 'unchanged'> {
  const { contacts } = store;
  const existing =
    (await contacts.findByExternalId(customer.externalId)) ??
    (customer.email ? await contacts.findByEmail(customer.email) : undefined) ??
    (await findByHandles(store, customer));
  const now = new Date().toISOString();
  const base: ContactRecord = existing ?? { key: randomUUID(), name: customer.name, identities: [], createdAt: now, updatedAt: now };
  const missing = handlesOf(customer).filter(
    ({ platform, handle }) => !base.identities.some((i) => i.platform === platform && i.handle.toLowerCase() === handle.toLowerCase()),
  );
  const next: ContactRecord = {
    ...base,
    name: customer.name,
    emails: union(base.emails, customer.email ? [customer.email] : []),
    phone: customer.phone ?? base.phone,
    company: customer.company ?? base.company,
    tags: union(base.tags, customer.tags),
    fields: { ...base.fields, external_id: customer.externalId },
    identities: [
      ...base.identities,
      ...missing.map(({ platform, handle }) => ({ platform, userId: '', handle, profileUrl: profileUrlOf(platform, handle) })),
    ],
  };
  if (existing && sameContact(existing, next)) return 'unchanged';
  await contacts.save({ ...next, updatedAt: now });
  return existing ? 'updated' : 'created';
}

/** The customer's handles on each network, as identities to look up or add. */
function handlesOf(customer: CustomerInput): Array<{ platform: PlatformId; handle: string }> {
  const all: Array<[PlatformId, string | undefined]> = [
    ['x', customer.handle],
    ['mastodon', customer.mastodon],
    ['bluesky', customer.bluesky],
  ];
  return all.filter((entry): entry is [PlatformId, string] => Boolean(entry[1])).map(([platform, handle]) => ({ platform, handle }));
}

function union(a: string[] | undefined, b: string[]): string[] {
  return [...new Set([...(a ?? []), ...b])];
}

function sameContact(a: ContactRecord, b: ContactRecord): boolean {
  const pick = (c: ContactRecord) =>
    JSON.stringify([c.name, c.emails ?? [], c.phone, c.company, c.tags ?? [], c.fields ?? {}, c.identities]);
  return pick(a) === pick(b);
}

function sameOrder(a: OrderRecord, b: OrderRecord): boolean {
  const pick = (o: OrderRecord) =>
    JSON.stringify([o.contactId, o.customerExternalId, o.email, o.totalCents, o.currency, o.status, o.createdAt]);
  return pick(a) === pick(b);
}
