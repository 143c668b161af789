/**
 * verify()'s checks shared by the version-pair test files (issue 13): equal data passes; then each
 * kind of difference made on the target behind pgferry's back is found and named by its key, with
 * both rows, whatever the table (keyed, keyless, TOASTed, a partition) and whatever the value's
 * trap (NaN against NULL, -0, one bytea byte, a json key order); and during sync with writers
 * running, no false alarm while rows changed on the target behind its back are found, exactly. The
 * differences are made by SQL on the target, so the test knows them without trusting pgferry.
 */
import { expect } from 'vitest'
import { verify, type VerifyDifference, type VerifyReport } from '../../src/index.js'
import type { ClusterPair } from './cluster.js'
import { seededRandom } from './seeded-random.js'
import { INCREMENTAL_SCHEMA, eventually, loadedTask, startWriter } from './incremental-fixture.js'

/**
 * Values whose text is the trap: NaN, 0 (to become -0), bytea, json whose key order is kept;
 * `blobs`, a table without a key whose rows are long; and `typed`, whose columns are hashed by
 * their types' own hashes (row-sql.ts hashKind): integers, varchar, char(n), uuid, and text in a
 * case-insensitive collation (whose own hash would make 'Text 5' equal 'text 5').
 */
const ODD_SCHEMA = `
CREATE TABLE odd (id int PRIMARY KEY, f float8, b bytea, j json);
INSERT INTO odd VALUES (1, 'NaN', '\\x01', '{"a": 1}'), (2, 0, '\\x02', '{"a": 1}'),
                       (3, 1.5, '\\x0102', '{"a": 1}'), (4, 2, '\\x04', '{"a": 1, "b": 2}');
CREATE TABLE blobs (b text);
ALTER TABLE blobs REPLICA IDENTITY FULL;
ALTER TABLE blobs ALTER COLUMN b SET STORAGE EXTERNAL;
INSERT INTO blobs SELECT repeat(chr(97 + g), 3000) FROM generate_series(0, 4) g;
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE typed (id bigint PRIMARY KEY, s smallint, v varchar(20), c char(8), u uuid,
  t text COLLATE ci);
INSERT INTO typed SELECT g, g, 'Abc' || g, 'c' || g, md5(g::text)::uuid, 'Text ' || g
  FROM generate_series(1, 6) g;
`

/** The differences of a report, each as `table kind key`, sorted. */
export function named(report: VerifyReport): string[] {
  return report.tables
    .flatMap((t) => t.differences)
    .map((d: VerifyDifference) => `${d.table} ${d.kind} ${JSON.stringify(d.key)}`)
    .sort()
}

/**
 * A second writer on the keyless table: rows 500…509, each present or absent, and at each step of
 * `writer` each flips (inserted or deleted, one commit) with a seeded chance of one half, so each
 * row's count goes up and back down at its own times, at the pace of the main writer (faster,
 * and the apply only falls behind).
 */
async function startToggler(
  p: ClusterPair,
  db: string,
  steps: () => number,
): Promise<{ toggles: () => number; stop: () => Promise<void> }> {
  const c = await p.source.client(db)
  const random = seededRandom(13)
  const present = new Set<number>()
  let n = 0
  let stopping = false
  const loop = (async () => {
    while (!stopping) {
      const step = steps()
      for (let a = 500; a < 510; a++) {
        if (random.next() < 0.5) continue
        if (present.delete(a)) await c.query(`DELETE FROM fullrows WHERE a = $1`, [a])
        else {
          await c.query(`INSERT INTO fullrows VALUES ($1, 'toggle', NULL)`, [a])
          present.add(a)
        }
        n++
      }
      await eventually(async () => Promise.resolve(stopping || steps() > step), 600_000)
    }
  })()
  loop.catch(() => undefined)
  return {
    toggles: () => n,
    stop: async () => {
      stopping = true
      await loop
      await c.end()
    },
  }
}

/** Equal data passes; every difference made on the target is found and named by its key. */
export async function verifyDifferences(pair: ClusterPair): Promise<void> {
  const db = await pair.source.createDatabase('verify')
  await pair.source.query(INCREMENTAL_SCHEMA + ODD_SCHEMA, [], db)
  const task = await loadedTask(pair, db)
  // statistics on items and child: their integer keys are cut into a grid (a row's range found by
  // arithmetic); the others', never analyzed unless autovacuum got there first, by their keys'
  // values (a search of the bounds)
  await pair.source.query(`ANALYZE items, child, toasty, blobs`, [], db)
  // a target column of another integer type hashes alike (hashint2extended, hashint8extended);
  // one of another family (char(8) on the source, text here) is hashed by its text on both sides
  await pair.target.query(
    `ALTER TABLE typed ALTER COLUMN s TYPE bigint, ALTER COLUMN c TYPE text`,
    [],
    db,
  )
  try {
    const progress: unknown[] = []
    task.on('verify:progress', (e) => progress.push(e))
    // small chunks, so every table is cut into several and only one of them differs
    const equal = await verify(task, { chunkRows: 7 })
    expect(equal.equal).toBe(true)
    expect(named(equal)).toEqual([])
    const tables = equal.tables.map((t) => t.table).sort()
    expect(tables).toEqual(
      [
        'blobs',
        'child',
        'fullrows',
        'ident',
        'items',
        'keyed',
        'odd',
        'parent',
        'parts_eu',
        'parts_us',
        'toasty',
        'typed',
      ].map((t) => `public.${t}`),
    )
    const items = equal.tables.find((t) => t.table === 'public.items')
    expect(items).toMatchObject({ keyed: true, sourceRows: 2000, targetRows: 2000 })
    expect(items?.chunks).toBeGreaterThan(100)
    expect(equal.tables.find((t) => t.table === 'public.fullrows')?.keyed).toBe(false)
    expect(progress.length).toBeGreaterThan(0)
    expect(JSON.parse(JSON.stringify(progress.at(-1)))).toMatchObject({ tablesDone: 12 })

    await pair.target.query(
      `UPDATE items SET name = 'changed' WHERE id = 5;
       DELETE FROM child WHERE id = 7;
       INSERT INTO keyed VALUES (1000, 'k1000', 'added');
       INSERT INTO fullrows SELECT * FROM fullrows WHERE a = 3 LIMIT 1;
       UPDATE toasty SET big = big || 'x' WHERE id = 9;
       UPDATE toasty SET big = NULL WHERE id = 10;
       INSERT INTO blobs SELECT * FROM blobs WHERE b LIKE 'c%';
       UPDATE parts SET v = 'zz' WHERE id = 4;
       UPDATE odd SET f = NULL WHERE id = 1;
       UPDATE odd SET f = '-0' WHERE id = 2;
       UPDATE odd SET b = '\\x0103' WHERE id = 3;
       UPDATE odd SET j = '{"b": 2, "a": 1}' WHERE id = 4;
       UPDATE typed SET s = 20 WHERE id = 1;
       UPDATE typed SET v = 'abc2' WHERE id = 2;
       UPDATE typed SET c = 'c3x' WHERE id = 3;
       UPDATE typed SET u = md5('x')::uuid WHERE id = 4;
       UPDATE typed SET t = 'text 5' WHERE id = 5;`,
      [],
      db,
    )
    const found: VerifyDifference[] = []
    task.on('verify:difference', (e) => found.push(e))
    const report = await verify(task, { chunkRows: 7 })
    expect(report.equal).toBe(false)
    expect(named(report)).toEqual(
      [
        'public.items changed {"id":"5"}',
        'public.child missing {"id":"7"}',
        'public.keyed extra {"k1":"1000","k2":"k1000"}',
        'public.fullrows extra {"a":"3","b":"row 3","j":"{\\"x\\" : 3}"}',
        'public.toasty changed {"id":"9"}',
        'public.toasty changed {"id":"10"}',
        `public.blobs extra ${JSON.stringify({ b: 'c'.repeat(3000) })}`,
        'public.parts_eu changed {"id":"4","region":"eu"}',
        'public.odd changed {"id":"1"}',
        'public.odd changed {"id":"2"}',
        'public.odd changed {"id":"3"}',
        'public.odd changed {"id":"4"}',
        ...[1, 2, 3, 4, 5].map((id) => `public.typed changed {"id":"${id}"}`),
      ].sort(),
    )
    expect(found).toHaveLength(17)
    const diffs = report.tables.flatMap((t) => t.differences)
    const odd = (id: string): VerifyDifference | undefined =>
      diffs.find((d) => d.table === 'public.odd' && d.key.id === id)
    expect([odd('1')?.source?.f, odd('1')?.target?.f]).toEqual(['NaN', null])
    expect([odd('2')?.source?.f, odd('2')?.target?.f]).toEqual(['0', '-0'])
    expect([odd('3')?.source?.b, odd('3')?.target?.b]).toEqual(['\\x0102', '\\x0103'])
    const dup = diffs.find((d) => d.table === 'public.fullrows')
    expect([dup?.sourceCount, dup?.targetCount]).toEqual([4, 5])
    const blob = diffs.find((d) => d.table === 'public.blobs')
    expect([blob?.sourceCount, blob?.targetCount]).toEqual([1, 2])
    const nulled = diffs.find((d) => d.table === 'public.toasty' && d.key.id === '10')
    expect(nulled?.target?.big).toBeNull()
    expect(nulled?.source?.big).toHaveLength(6400)
    const child = diffs.find((d) => d.table === 'public.child')
    expect(child?.target).toBeNull()
    expect(child?.source).toMatchObject({ id: '7', v: 'c7' })
    expect(report.tables.find((t) => t.table === 'public.child')).toMatchObject({
      status: 'different',
      sourceRows: 300,
      targetRows: 299,
    })
    expect(report.tables.find((t) => t.table === 'public.parent')?.status).toBe('equal')

    // count finds only the tables whose counts differ; sample with 100 % finds every row
    const counted = await verify(task, { mode: 'count' })
    expect(
      counted.tables
        .filter((t) => t.status === 'different')
        .map((t) => t.table)
        .sort(),
    ).toEqual(['public.blobs', 'public.child', 'public.fullrows', 'public.keyed'])
    const sampled = await verify(task, { mode: 'sample', sample: 100, chunkRows: 7 })
    expect(named(sampled)).toEqual(named(report))
    const one = await verify(task, { tables: ['public.items'] })
    expect(one.tables.map((t) => t.table)).toEqual(['public.items'])
    expect(named(one)).toEqual(['public.items changed {"id":"5"}'])
  } finally {
    // nothing left behind: later tests count the cluster's slots
    await task.delete()
  }
}

/**
 * During sync with a steady writer: no false alarm; rows changed on the target behind its back are
 * found, exactly.
 */
export async function verifyDuringSync(pair: ClusterPair): Promise<void> {
  const db = await pair.source.createDatabase('verifysync')
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  const task = await loadedTask(pair, db)
  // statistics on toasty: its integer key is cut into a grid while its TOASTed rows change
  await pair.source.query(`ANALYZE toasty`, [], db)
  const c = await pair.source.client(db)
  try {
    await task.startIncremental()
    const writer = startWriter(c)
    const toggler = await startToggler(pair, db, writer.steps)
    try {
      await eventually(async () => Promise.resolve(writer.steps() >= 5))
      const before = writer.steps()
      // fullrows has no key: it is compared as a multiset of row hashes. The toggler inserts and
      // deletes the same rows over and over, so between two reads of the source a row's count
      // can go up and back down while the target, read in between, holds it: the case in which
      // the former rule ("same count on the source before and after") reported a row that was
      // only in flight. This makes the case likelier, it does not force it (the former rule
      // passed this test in the two runs tried); verify-forced.test.ts forces it, for keyed rows
      // too. The rule now (confirm-rounds.ts) is exact by construction.
      const tables = [
        'items',
        'toasty',
        'parent',
        'child',
        'keyed',
        'ident',
        'fullrows',
        'parts_eu',
        'parts_us',
      ].map((t) => `public.${t}`)
      for (let run = 0; run < 3; run++) {
        const clean = await task.verify({ chunkRows: 200, tables })
        expect(named(clean)).toEqual([])
        expect(clean.equal).toBe(true)
      }
      expect(toggler.toggles()).toBeGreaterThan(0)
      // the writer wrote while verify read
      expect(writer.steps()).toBeGreaterThan(before)

      // a row the writer never touches, and one it never touches in a chunk it writes to all the
      // time (it updates ident's ids 1-50 and inserts more; id 51 is its first insert)
      // and a keyless row the target gained behind its back, in a table both writers change
      await pair.target.query(
        `UPDATE parent SET v = 'behind its back' WHERE id = 42;
         UPDATE ident SET v = 'behind its back' WHERE id = 51;
         INSERT INTO fullrows VALUES (999, 'behind its back', NULL)`,
        [],
        db,
      )
      const dirty = await task.verify({ chunkRows: 200, tables })
      expect(named(dirty)).toEqual([
        'public.fullrows extra {"a":"999","b":"behind its back","j":null}',
        'public.ident changed {"id":"51"}',
        'public.parent changed {"id":"42"}',
      ])
    } finally {
      await writer.stop()
      await toggler.stop()
    }
  } finally {
    await c.end()
    await task.delete()
  }
}
