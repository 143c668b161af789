/**
 * Changes to partitions during the sync, carried exactly: a TRUNCATE of one partition (which a
 * publication with publish_via_partition_root does not send at all), rows moved between
 * partitions by an UPDATE of the partition key, and a TRUNCATE of the root. Every partition is
 * compared by SQL on both sides, not only the root (issue 10 item 2).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair, type Major } from '../harness/cluster.js'
import { eventually, loadedTask, tableDigest } from '../harness/incremental-fixture.js'

const SCHEMA = `
CREATE TABLE parts (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu');
CREATE TABLE parts_us PARTITION OF parts FOR VALUES IN ('us');
CREATE TABLE parts_other PARTITION OF parts DEFAULT;
INSERT INTO parts SELECT g, (ARRAY['eu', 'us', 'asia'])[1 + g % 3], 'p' || g FROM generate_series(1, 150) g;
CREATE TABLE other (id int PRIMARY KEY, v text);
INSERT INTO other SELECT g, 'o' || g FROM generate_series(1, 20) g;
`
const TABLES = ['parts', 'parts_eu', 'parts_us', 'parts_other', 'other'] as const

describe.each([
  [16, 16],
  [12, 17],
] as const)('partition changes during the sync (%i → %i)', (from: Major, to: Major) => {
  let pair: ClusterPair
  beforeAll(async () => {
    pair = await startPair(from, to)
  })
  afterAll(async () => {
    await pair?.stop()
  })

  /** Digest of every partition (and the root) on each side. */
  const sides = async (db: string): Promise<[string[], string[]]> => [
    await Promise.all(TABLES.map((t) => tableDigest(pair.source, db, t))),
    await Promise.all(TABLES.map((t) => tableDigest(pair.target, db, t))),
  ]
  const equal = async (db: string): Promise<boolean> => {
    const [s, t] = await sides(db)
    return JSON.stringify(s) === JSON.stringify(t)
  }

  it('TRUNCATE of one partition, partition moves, TRUNCATE of the root: every partition equal', async () => {
    const db = await pair.source.createDatabase('partchg')
    await pair.source.query(SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      await task.startIncremental()
      // a partition emptied on its own
      await c.query(`TRUNCATE parts_eu`)
      await c.query(
        `INSERT INTO parts SELECT g, 'eu', 'new' || g FROM generate_series(1001, 1010) g`,
      )
      // rows moved between partitions by an UPDATE of the partition key, both ways
      await c.query(
        `UPDATE parts SET region = 'eu', v = v || '>eu' WHERE region = 'us' AND id % 2 = 0`,
      )
      await c.query(`UPDATE parts SET region = 'nowhere' WHERE region = 'eu' AND id % 4 = 0`)
      await c.query(`UPDATE other SET v = 'marker' WHERE id = 1`)
      // the marker on another table arrives after everything above: then compare
      await eventually(
        async () =>
          (await pair.target.query(`SELECT 1 FROM other WHERE id = 1 AND v = 'marker'`, [], db))
            .rowCount === 1,
        60_000,
      )
      const [s1, t1] = await sides(db)
      expect(t1).toEqual(s1)
      // the root emptied, then refilled
      await c.query(`TRUNCATE parts`)
      await c.query(
        `INSERT INTO parts SELECT g, (ARRAY['eu', 'us', 'x'])[1 + g % 3], 'r' || g FROM generate_series(1, 30) g`,
      )
      await task.complete()
      expect(await equal(db)).toBe(true)
      const [s2, t2] = await sides(db)
      expect(t2).toEqual(s2)
      expect(s2[1]).not.toMatch(/^0:/)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('a partition created during the sync: the stream stops with an error naming it, never a silent gap', async () => {
    const db = await pair.source.createDatabase('partnew')
    await pair.source.query(SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    try {
      // IncrementalOptions: Task.startIncremental is typed with StageCallOptions for now
      const sync = await task.startIncremental({ lagIntervalMs: 200, newTableCheckMs: 200 })
      await pair.source.query(
        `CREATE TABLE parts_new PARTITION OF parts FOR VALUES IN ('new');
         INSERT INTO parts VALUES (5000, 'new', 'n')`,
        [],
        db,
      )
      const error = await sync.done.then(
        () => undefined,
        (e: unknown) => e as Error,
      )
      expect(error?.message).toMatch(/parts_new/)
    } finally {
      await task.close()
    }
  }, 120_000)
})
