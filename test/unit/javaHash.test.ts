import { JavaStringSet } from '../../src/util/javaHash';

// Expected orders printed by java.util.HashSet on OpenJDK 17 (the runtime of the Apache oracle).
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november'];
const split = (s: string) => s.split(' ');

describe('JavaStringSet: java.util.HashSet<String> iteration order', () => {
  test('a live set keeps the table it grew to; clone() and new HashSet<>(set) size theirs afresh', () => {
    const live = new JavaStringSet();
    for (const w of WORDS.slice(0, 12)) live.add(`/eo/${w}`);
    expect(live.capacity).toBe(16);
    expect(live.toArray()).toEqual(split('/eo/alpha /eo/hotel /eo/golf /eo/juliet /eo/echo /eo/india /eo/kilo /eo/lima /eo/charlie /eo/bravo /eo/foxtrot /eo/delta'));
    // 12 members: the clone is pre-sized to tableSizeFor(12 / 0.75 + 1) = 32 buckets.
    expect(live.clone().capacity).toBe(32);
    expect(live.clone().toArray()).toEqual(split('/eo/hotel /eo/golf /eo/juliet /eo/echo /eo/india /eo/kilo /eo/foxtrot /eo/alpha /eo/lima /eo/charlie /eo/bravo /eo/delta'));
    for (const w of WORDS.slice(12)) live.add(`/eo/${w}`);
    for (const w of WORDS.slice(0, 10)) live.delete(`/eo/${w}`);
    live.add('/eo/late');
    expect(live.capacity).toBe(32);
    expect([...live]).toEqual(split('/eo/late /eo/kilo /eo/mike /eo/lima /eo/november'));
    expect(live.clone().toArray()).toEqual(split('/eo/kilo /eo/lima /eo/late /eo/mike /eo/november'));
    expect(JavaStringSet.copyOf(live).toArray()).toEqual(split('/eo/late /eo/mike /eo/kilo /eo/lima /eo/november'));
  });

  test('a clone grows from its pre-sized table; an empty clone starts at 16 buckets', () => {
    const one = new JavaStringSet();
    one.add('/x/q');
    const grown = one.clone();
    expect(grown.capacity).toBe(2);
    for (const w of WORDS) grown.add(`/x/${w}`);
    expect(grown.toArray()).toEqual(
      split('/x/india /x/lima /x/hotel /x/mike /x/foxtrot /x/bravo /x/delta /x/kilo /x/november /x/alpha /x/charlie /x/golf /x/juliet /x/echo /x/q'),
    );
    const empty = new JavaStringSet().clone();
    for (const w of WORDS) empty.add(`/y/${w}`);
    expect(empty.toArray()).toEqual(
      split('/y/golf /y/kilo /y/november /y/hotel /y/india /y/echo /y/foxtrot /y/bravo /y/mike /y/juliet /y/charlie /y/delta /y/lima /y/alpha'),
    );
  });
});
