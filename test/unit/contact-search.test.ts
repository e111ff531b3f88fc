import { describe, expect, it } from 'vitest';
import { ContactSearchIndex, editDistance, wordsOf } from '../../src/domain/contact-search.ts';

const people = [
  { id: 'mh', name: 'Margaret Hamilton', handles: ['mhamilton'], emails: ['margaret@nasa.gov'], company: 'NASA' },
  { id: 'mh2', name: 'Margaret Hampton', handles: ['maggie_h'], emails: ['mh@example.com'] },
  { id: 'al', name: 'Ada Lovelace', handles: ['ada_l'], emails: ['ada@engines.co.uk'], company: 'Analytical Engines' },
  { id: 'gh', name: 'Grace Hopper', handles: ['grace_h'], emails: ['grace@navy.mil'] },
  { id: 'zo', name: 'Zoë Ångström', handles: ['zoe_a'], emails: [] },
];
const index = new ContactSearchIndex();
for (const person of people) index.upsert(person);
const top = (query: string) => index.search(query, 3).map((hit) => hit.id);

describe('ContactSearchIndex', () => {
  it.each([
    ['margret hamiltn', 'mh'],
    ['hamilton margaret', 'mh'],
    ['ada lovlace', 'al'],
    ['grcae hopper', 'gh'],
    ['lovel', 'al'],
    ['nasa', 'mh'],
    ['zoe angstrom', 'zo'],
  ])('finds "%s" despite typos, order, accents and prefixes', (query, id) => {
    expect(top(query)[0]).toBe(id);
  });

  it('ranks an exact @handle or email first, with score 1', () => {
    expect(index.search('@maggie_h')[0]).toMatchObject({ id: 'mh2', isExact: true, score: 1 });
    expect(index.search('MARGARET@nasa.gov')[0]).toMatchObject({ id: 'mh', isExact: true });
    expect(index.search('maggie_h')[0]?.id).toBe('mh2');
  });

  it('needs every typed word to match', () => {
    expect(top('margaret turing')).toEqual([]);
    expect(top('qqqqqq')).toEqual([]);
    expect(top('')).toEqual([]);
  });

  it('forgets a removed contact and re-indexes an updated one', () => {
    const local = new ContactSearchIndex();
    local.upsert(people[0]!);
    local.upsert({ ...people[0]!, name: 'Maggie Hamilton-Smith', handles: ['mhs'] });
    expect(local.search('margaret hamilton')).toEqual([]);
    expect(local.search('maggie hamilton')[0]?.id).toBe('mh');
    expect(local.search('@mhamilton').some((hit) => hit.isExact)).toBe(false);
    local.remove('mh');
    expect(local.search('maggie')).toEqual([]);
    expect(local.size).toBe(0);
  });
});

describe('editDistance', () => {
  it.each([
    ['kitten', 'sitting', 3],
    ['margaret', 'margret', 1],
    ['hopper', 'hpoper', 1],
    ['same', 'same', 0],
  ])('%s → %s is %i', (a, b, expected) => {
    expect(editDistance(a, b, 5)).toBe(expected);
  });

  it('stops early beyond the cap', () => {
    expect(editDistance('abcdefgh', 'zyxwvuts', 2)).toBe(3);
  });
});

describe('wordsOf', () => {
  it('lowercases, strips accents and splits on punctuation', () => {
    expect(wordsOf('Zoë Ångström-Smith (ACME)')).toEqual(['zoe', 'angstrom', 'smith', 'acme']);
  });
});
