/**
 * /crm lookup at 100k contacts: Switchboard's index against MiniSearch (a well-kept full-text index
 * with fuzzy matching), on the same queries, in one process. Prints p50/p99 for each and recall on
 * typo queries.
 */
import MiniSearch from 'minisearch';
import { ContactSearchIndex, type SearchableContact } from '../src/domain/contact-search.ts';

const FIRST = [
  'Margaret',
  'Ada',
  'Grace',
  'Katherine',
  'Alan',
  'Hedy',
  'John',
  'Mary',
  'James',
  'Linda',
  'Robert',
  'Patricia',
  'Michael',
  'Jennifer',
  'William',
  'Elizabeth',
  'David',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
  'Daniel',
  'Lisa',
  'Matthew',
  'Nancy',
  'Anthony',
  'Sandra',
  'Mark',
  'Ashley',
  'Paul',
  'Emily',
  'Steven',
  'Donna',
  'Andrew',
  'Michelle',
];
const SYLLABLES = [
  'ka',
  'ro',
  'vin',
  'mel',
  'dor',
  'sa',
  'lin',
  'ber',
  'to',
  'ran',
  'gel',
  'mi',
  'son',
  'har',
  'wick',
  'ley',
  'mont',
  'fa',
  'ri',
  'den',
  'cal',
  'lo',
  'way',
  'nes',
  'tor',
  'bel',
  'ham',
  'il',
  'ton',
  'as',
  'quin',
  'ell',
  'o',
  'ver',
  'stad',
  'pe',
  'gra',
  'nik',
  'ov',
  'ski',
];

/** Deterministic pseudo-random numbers, so every run measures the same data. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

export function syntheticContacts(count: number): SearchableContact[] {
  const contacts: SearchableContact[] = [];
  for (let i = 0; i < count; i++) {
    const a = SYLLABLES[i % 40]!;
    const b = SYLLABLES[Math.floor(i / 40) % 40]!;
    const c = SYLLABLES[Math.floor(i / 1600) % 40]!;
    const last = `${a}${b}${c}`.replace(/^./, (ch) => ch.toUpperCase());
    const first = FIRST[Math.floor(i / 64_000 + i) % FIRST.length]!;
    const handle = `${first.toLowerCase()}_${last.toLowerCase()}${i % 10}`;
    contacts.push({
      id: `c${i}`,
      name: `${first} ${last}`,
      handles: [handle],
      emails: [`${first.toLowerCase()}.${last.toLowerCase()}${i}@example.com`],
      company: i % 5 ? 'Acme' : 'Globex',
    });
  }
  return contacts;
}

/** One or two typing mistakes per word: a dropped, doubled, swapped or wrong letter. */
function misspell(word: string, next: () => number): string {
  const chars = [...word.toLowerCase()];
  const at = 1 + Math.floor(next() * Math.max(1, chars.length - 2));
  const kind = Math.floor(next() * 4);
  if (kind === 0) chars.splice(at, 1);
  else if (kind === 1) chars.splice(at, 0, chars[at] ?? 'e');
  else if (kind === 2 && at + 1 < chars.length) [chars[at], chars[at + 1]] = [chars[at + 1]!, chars[at]!];
  else chars[at] = 'aeiou'[Math.floor(next() * 5)]!;
  return chars.join('');
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

export interface LookupQuery {
  query: string;
  id: string;
}

/**
 * Typo queries (each word of a contact's name misspelt once or twice) and exact @handle / email ones,
 * and as many other typo queries to warm up with: a running bot has long since compiled its search
 * code, so the measured queries are timed after it has run a while (different queries, no cache).
 */
export function lookupQueries(
  contacts: SearchableContact[],
  queries: number,
): { typo: LookupQuery[]; exact: LookupQuery[]; warmUp: LookupQuery[] } {
  const next = random(42);
  const typo: LookupQuery[] = [];
  const exact: LookupQuery[] = [];
  for (let q = 0; q < queries; q++) {
    const target = contacts[Math.floor(next() * contacts.length)]!;
    typo.push({
      query: target.name
        .split(' ')
        .map((word) => misspell(word, next))
        .join(' '),
      id: target.id,
    });
    exact.push({ query: q % 2 ? `@${target.handles[0]}` : target.emails[0]!, id: target.id });
  }
  const warmUp = Array.from({ length: queries }, () => {
    const target = contacts[Math.floor(next() * contacts.length)]!;
    return {
      query: target.name
        .split(' ')
        .map((word) => misspell(word, next))
        .join(' '),
      id: target.id,
    };
  });
  return { typo, exact, warmUp };
}

export interface LookupFigures {
  p50: number;
  p99: number;
  recallTop5: number;
  top1: number;
}

/** Times each query (one after another, as people type them) and checks the wanted contact is in the top 5. */
export async function measureLookups(search: (query: string) => string[] | Promise<string[]>, set: LookupQuery[]): Promise<LookupFigures> {
  const times: number[] = [];
  let found = 0;
  let first = 0;
  for (const { query, id } of set) {
    const start = performance.now();
    const ids = await search(query);
    times.push(performance.now() - start);
    if (ids.slice(0, 5).includes(id)) found++;
    if (ids[0] === id) first++;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99), recallTop5: found / set.length, top1: first / set.length };
}

export async function benchLookup(count = 100_000, queries = 300) {
  const contacts = syntheticContacts(count);
  const index = new ContactSearchIndex();
  const t0 = performance.now();
  for (const contact of contacts) index.upsert(contact);
  const buildMs = performance.now() - t0;
  const m0 = performance.now();
  const mini = new MiniSearch<SearchableContact>({
    fields: ['name', 'handles', 'emails', 'company'],
    // Handles and emails are lists: searched as one text each.
    extractField: (contact, field) => {
      const value = contact[field as keyof SearchableContact];
      return Array.isArray(value) ? value.join(' ') : String(value ?? '');
    },
    searchOptions: { fuzzy: 0.2, prefix: true, boost: { name: 2 } },
  });
  mini.addAll(contacts);
  const miniBuildMs = performance.now() - m0;
  const { typo, exact, warmUp } = lookupQueries(contacts, queries);
  const ours = (query: string) => index.search(query, 5).map((hit) => hit.id);
  const theirs = (query: string) =>
    mini
      .search(query.replace(/^@/, ''))
      .slice(0, 5)
      .map((hit) => String(hit.id));
  for (const { query } of warmUp) {
    ours(query);
    theirs(query);
  }
  // Building 100k entries leaves garbage whose collection would land inside the first queries:
  // collect it now, as a long-running bot would have long since done, so p99 measures lookups.
  (globalThis as { gc?: () => void }).gc?.();
  return {
    count,
    buildMs,
    miniBuildMs,
    ours: { typo: await measureLookups(ours, typo), exact: await measureLookups(ours, exact) },
    mini: { typo: await measureLookups(theirs, typo), exact: await measureLookups(theirs, exact) },
  };
}
