/**
 * Finding a contact the way a support agent types: a name with typos ("margret hamiltn"), a
 * handle, an email, a company. Pure and in memory: an exact index for handles and emails (ranked
 * first), and for words a trigram index that proposes candidates, confirmed by edit distance.
 * Per query, work is bounded by the words that share trigrams with it, not by the contact count.
 */

export interface SearchableContact {
  id: string;
  name: string;
  handles: string[];
  emails: string[];
  company?: string;
}

export interface SearchHit {
  id: string;
  /** 0…1; 1 is an exact handle or email match. */
  score: number;
  isExact: boolean;
}

/** How many candidate words a query word may look at: keeps the worst case bounded. */
const MAX_CANDIDATES_PER_WORD = 100;
const MIN_WORD_SIMILARITY = 0.6;

export function normalizeWord(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

/**
 * Words to index and to search: letters and digits apart ("ada_l1815" → ada, l, 1815), so the
 * numbers people add to handles do not multiply the vocabulary every typed word is compared with.
 */
export function wordsOf(text: string): string[] {
  return normalizeWord(text)
    .split(/[^a-z0-9]+|(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])/)
    .filter((word) => word.length > 0);
}

function trigramsOf(word: string): string[] {
  const padded = `  ${word} `;
  const grams: string[] = [];
  for (let i = 0; i + 3 <= padded.length; i++) grams.push(padded.slice(i, i + 3));
  return grams;
}

/** Optimal string alignment distance (Damerau-Levenshtein with adjacent swaps), capped for speed. */
export function editDistance(a: string, b: string, cap = 4): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows = a.length + 1;
  const cols = b.length + 1;
  let previous2 = new Array<number>(cols).fill(0);
  let previous = Array.from({ length: cols }, (_, j) => j);
  for (let i = 1; i < rows; i++) {
    const current = new Array<number>(cols).fill(0);
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, previous2[j - 2]! + 1);
      current[j] = value;
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > cap) return cap + 1;
    previous2 = previous;
    previous = current;
  }
  return previous[cols - 1]!;
}

/** Typos forgiven in a word of this length. */
function allowedEdits(typed: string): number {
  return typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : 3;
}

/** How alike a typed word is to a stored one: prefixes count (type-ahead), typos cost by length. */
function wordSimilarity(typed: string, stored: string): number {
  if (typed === stored) return 1;
  if (typed.length >= 3 && stored.startsWith(typed)) return 0.9;
  const allowed = allowedEdits(typed);
  const distance = editDistance(typed, stored, allowed);
  if (distance > allowed) return 0;
  return 1 - distance / Math.max(typed.length, stored.length);
}

export class ContactSearchIndex {
  private readonly exact = new Map<string, Set<string>>();
  private readonly wordToContacts = new Map<string, Set<string>>();
  /** Words by number, so trigram postings are small integer arrays and counting is array indexing. */
  private readonly words: string[] = [];
  private readonly wordIds = new Map<string, number>();
  /** Postings never shrink: a word no contact uses any more is skipped (it has no wordToContacts entry). */
  private readonly trigramToWords = new Map<string, number[]>();
  private counts = new Uint8Array(1024);
  /** How many contacts use each word (by number): a word nobody uses any more is skipped without a string lookup. */
  private users = new Int32Array(1024);
  private readonly indexed = new Map<string, { keys: string[]; words: string[] }>();

  get size(): number {
    return this.indexed.size;
  }

  upsert(contact: SearchableContact): void {
    this.remove(contact.id);
    const keys = [
      ...contact.handles.map((handle) => `@${normalizeWord(handle.replace(/^@/, ''))}`),
      ...contact.emails.map((email) => normalizeWord(email.trim())),
    ];
    const words = [...new Set([...wordsOf(contact.name), ...contact.handles.flatMap(wordsOf), ...wordsOf(contact.company ?? '')])];
    for (const key of keys) addTo(this.exact, key, contact.id);
    for (const word of words) {
      addTo(this.wordToContacts, word, contact.id);
      let id = this.wordIds.get(word);
      if (id === undefined) {
        id = this.words.push(word) - 1;
        this.wordIds.set(word, id);
        for (const gram of trigramsOf(word)) {
          const postings = this.trigramToWords.get(gram);
          if (postings) postings.push(id);
          else this.trigramToWords.set(gram, [id]);
        }
        if (this.users.length <= id) {
          const grown = new Int32Array(this.users.length * 2);
          grown.set(this.users);
          this.users = grown;
        }
      }
      this.users[id] = (this.users[id] ?? 0) + 1;
    }
    this.indexed.set(contact.id, { keys, words });
  }

  remove(id: string): void {
    const entry = this.indexed.get(id);
    if (!entry) return;
    for (const key of entry.keys) removeFrom(this.exact, key, id);
    for (const word of entry.words) {
      removeFrom(this.wordToContacts, word, id);
      const wordId = this.wordIds.get(word);
      if (wordId !== undefined) this.users[wordId] = Math.max(0, (this.users[wordId] ?? 0) - 1);
    }
    this.indexed.delete(id);
  }

  /** Best matches first: exact handle and email matches, then contacts matching every typed word best. */
  search(query: string, limit = 10): SearchHit[] {
    const trimmed = query.trim();
    if (!trimmed) return [];
    const hits = new Map<string, SearchHit>();
    // `ada@other.example` may be an email or a Mastodon handle typed without its first @: try both.
    const bare = normalizeWord(trimmed.replace(/^@/, ''));
    for (const key of [`@${bare}`, bare]) for (const id of this.exact.get(key) ?? []) hits.set(id, { id, score: 1, isExact: true });
    // An exact handle or email is what the agent meant: no need to look further.
    if (hits.size > 0) return [...hits.values()].slice(0, limit);

    const typed = wordsOf(trimmed.replace(/^@/, ''));
    if (typed.length > 0) {
      // Each typed word's similar stored words; the rarest word first, so the running set of
      // contacts (who must match every word) starts small and later words only check those.
      const perWord = typed
        .map((word) => {
          const similar = new Map(this.similarWords(word));
          let postings = 0;
          for (const stored of similar.keys()) postings += this.wordToContacts.get(stored)?.size ?? 0;
          return { similar, postings };
        })
        .sort((a, b) => a.postings - b.postings);
      let scores: Map<string, number> | undefined;
      for (const { similar, postings } of perWord) {
        scores = scores && scores.size < postings ? this.narrow(scores, similar) : this.widen(scores, similar);
        if (scores.size === 0) break;
      }
      for (const [id, total] of scores ?? []) {
        if (hits.has(id)) continue;
        hits.set(id, { id, score: (total / typed.length) * 0.99, isExact: false });
      }
    }
    return [...hits.values()].sort((a, b) => b.score - a.score || a.id.localeCompare(b.id)).slice(0, limit);
  }

  /** Contacts reaching each similar word, with their best similarity, added to (or starting) `running`. */
  private widen(running: Map<string, number> | undefined, similar: Map<string, number>): Map<string, number> {
    const perContact = new Map<string, number>();
    for (const [stored, similarity] of similar) {
      for (const id of this.wordToContacts.get(stored) ?? []) {
        if (similarity > (perContact.get(id) ?? 0)) perContact.set(id, similarity);
      }
    }
    return running ? intersect(running, perContact) : perContact;
  }

  /** Keeps the running contacts that have one of the similar words, adding their best similarity. */
  private narrow(running: Map<string, number>, similar: Map<string, number>): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, score] of running) {
      let best = 0;
      for (const word of this.indexed.get(id)?.words ?? []) best = Math.max(best, similar.get(word) ?? 0);
      if (best > 0) out.set(id, score + best);
    }
    return out;
  }

  private similarWords(typed: string): Array<[string, number]> {
    const exact = this.wordToContacts.has(typed) ? [[typed, 1] as [string, number]] : [];
    const grams = trigramsOf(typed);
    if (this.counts.length < this.words.length) this.counts = new Uint8Array(this.words.length * 2);
    const counts = this.counts;
    const touched: number[] = [];
    for (const gram of grams) {
      for (const id of this.trigramToWords.get(gram) ?? []) {
        const count = counts[id] ?? 0;
        if (count === 0) touched.push(id);
        if (count < 255) counts[id] = count + 1;
      }
    }
    // q-gram lemma: a word within k edits of `typed` shares at least |grams| − 3k of its trigrams
    // (4k here: a swap of two letters, one edit, can break four).
    // Words below that cannot match, so edit distance is computed for few words only.
    const minShared = Math.max(1, grams.length - 4 * allowedEdits(typed));
    // The words sharing the most trigrams first, by bucket (counts are small): no sort of thousands.
    const buckets: number[][] = Array.from({ length: grams.length + 1 }, () => []);
    for (const id of touched) {
      const count = counts[id] ?? 0;
      counts[id] = 0;
      if (count >= minShared && (this.users[id] ?? 0) > 0) buckets[Math.min(count, grams.length)]?.push(id);
    }
    const candidates: string[] = [];
    for (let count = grams.length; count >= minShared && candidates.length < MAX_CANDIDATES_PER_WORD; count--) {
      const ids = buckets[count] ?? [];
      if (candidates.length + ids.length <= MAX_CANDIDATES_PER_WORD) {
        for (const id of ids) candidates.push(this.words[id] ?? '');
        continue;
      }
      // The bucket that does not fit whole: the words closest in length first (the likelier
      // typos), then alphabetical, so the choice does not depend on the order contacts were added.
      const byLengthGap: string[][] = [];
      for (const id of ids) {
        const word = this.words[id] ?? '';
        const gap = Math.min(15, Math.abs(word.length - typed.length));
        const group = byLengthGap[gap];
        if (group) group.push(word);
        else byLengthGap[gap] = [word];
      }
      for (const group of byLengthGap) {
        const room = MAX_CANDIDATES_PER_WORD - candidates.length;
        if (room <= 0) break;
        if (!group) continue;
        if (group.length > room) group.sort();
        candidates.push(...group.slice(0, room));
      }
    }
    const found: Array<[string, number]> = [...exact];
    for (const word of candidates) {
      if (word === typed) continue;
      const similarity = wordSimilarity(typed, word);
      if (similarity >= MIN_WORD_SIMILARITY) found.push([word, similarity]);
    }
    return found;
  }
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function removeFrom(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

function intersect(running: Map<string, number>, next: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, score] of running) {
    const more = next.get(id);
    if (more !== undefined) out.set(id, score + more);
  }
  return out;
}
