/**
 * TRUNCATE is not MVCC-safe: a table truncated (or otherwise rewritten) on the source after the
 * load's snapshot was taken but before its COPY locks it is read from its new, empty file, and the
 * copy misses every row the snapshot saw. The stream then carries the UPDATEs and DELETEs made
 * before the TRUNCATE to rows the target never got. The load must notice, and copy that table
 * again under a snapshot taken after the rewrite (16 → 16, both task types).
 *
 * The moment is created, not raced for: with one lane, the larger table `bulk` is copied first
 * and its COPY is held on the target by a lock; the smaller table is changed and truncated on the
 * source meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MigrationType } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { holdInserts, waitForLockedBackend } from '../harness/held-backend.js'
import { leftovers, structuredTask, tableDigest } from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

const SCHEMA = `
CREATE TABLE bulk (id int PRIMARY KEY, pad text);
INSERT INTO bulk SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
CREATE TABLE small (id int PRIMARY KEY, v text);
INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 50) g;
ANALYZE;
`

describe('a table truncated on the source between the snapshot and its COPY (16 → 16)', () => {
  for (const type of ['full+incremental', 'full'] as const satisfies readonly MigrationType[]) {
    it(`is copied again under a later snapshot (${type})`, async () => {
      const db = await pair.source.createDatabase('trunc')
      await pair.source.query(SCHEMA, [], db)
      const task = await structuredTask(pair, db, { config: { parallelism: 1, type } })
      const [hold, watch, writer] = await Promise.all([
        pair.target.client(db),
        pair.target.client(db),
        pair.source.client(db),
      ])
      try {
        const held = await holdInserts(hold, 'bulk')
        const load = task.fullLoad()
        load.catch(() => undefined)
        // the snapshot is taken and bulk's COPY waits: small is not locked by anyone yet
        await waitForLockedBackend(watch, db, 'COPY%bulk%FROM STDIN%')
        await writer.query(`UPDATE small SET v = 'changed' WHERE id = 1`)
        await writer.query(`DELETE FROM small WHERE id = 2`)
        await writer.query(`TRUNCATE small`)
        await writer.query(`INSERT INTO small VALUES (1000, 'after the truncate')`)
        await held.release()
        await load
        if (type === 'full') {
          // a full task ends as of a snapshot taken after the TRUNCATE, not with an empty copy
          expect(await tableDigest(pair.target, db, 'small')).toBe(
            await tableDigest(pair.source, db, 'small'),
          )
        } else {
          await task.startIncremental()
          await writer.query(`INSERT INTO small VALUES (1001, 'during the sync')`)
          await task.complete()
        }
        for (const t of ['bulk', 'small'])
          expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
        expect(
          (await pair.target.query(`SELECT count(*)::int AS n FROM small`, [], db)).rows[0],
        ).toEqual({ n: type === 'full' ? 1 : 2 })
        if (type === 'full+incremental') expect(await leftovers(pair, db)).toEqual([])
      } finally {
        await Promise.all([hold, watch, writer].map((c) => c.end()))
        await task.delete().catch(() => undefined)
        await task.close()
      }
    }, 240_000)
  }
})

const ROUNDS_SCHEMA = `
CREATE TABLE tbl_bulk (id int PRIMARY KEY, pad text);
INSERT INTO tbl_bulk SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
${[1, 2, 3, 4, 5, 6]
  .map(
    (n) => `CREATE TABLE tbl_t${n} (id int PRIMARY KEY, pad text);
INSERT INTO tbl_t${n} SELECT g, repeat('y', 100) FROM generate_series(1, ${(7 - n) * 1000}) g;`,
  )
  .join('\n')}
ANALYZE;
`

describe('tables truncated on the source in successive rounds of one load (16 → 16)', () => {
  it('copies them again round after round until every table is loaded', async () => {
    const db = await pair.source.createDatabase('trunc_rounds')
    await pair.source.query(ROUNDS_SCHEMA, [], db)
    const task = await structuredTask(pair, db, {
      config: { parallelism: 1, type: 'full+incremental' },
    })
    // One lane copies largest first: bulk, t1 … t6. A round ends at the first table found
    // rewritten under its snapshot, and the next copies the unfinished ones under a new snapshot.
    // Each round's held table (a lock on the target table holds its COPY) lets the table after it
    // be truncated on the source under that round's snapshot; the table after that one is not
    // reached in that round, so it can be held for the next.
    const targets = await Promise.all([1, 2, 3].map(() => pair.target.client(db)))
    const [watch, writer] = await Promise.all([pair.target.client(db), pair.source.client(db)])
    const rewrites: string[] = []
    task.on('warning', (e) => {
      if (e.code === 'PGFERRY_FULLLOAD_TABLE_REWRITTEN') rewrites.push(e.message)
    })
    const hold = (i: number, t: string) =>
      holdInserts(targets[i] as (typeof targets)[0], `tbl_${t}`, 4_243_000 + i)
    const waitCopy = (t: string) => waitForLockedBackend(watch, db, `COPY%tbl_${t}%FROM STDIN%`)
    const truncate = (t: string) =>
      writer.query(`TRUNCATE tbl_${t}; INSERT INTO tbl_${t} VALUES (1, 'after the truncate')`)
    try {
      const held = [await hold(0, 'bulk')]
      const load = task.fullLoad()
      load.catch(() => undefined)
      const rounds: [string, string, string][] = [
        ['bulk', 't1', 't2'],
        ['t2', 't3', 't4'],
        ['t4', 't5', 't6'],
      ]
      for (const [i, [waiting, truncated, next]] of rounds.entries()) {
        await waitCopy(waiting)
        await truncate(truncated)
        if (i < rounds.length - 1) held.push(await hold(i + 1, next))
        await (held[i] as (typeof held)[0]).release()
      }
      await load
      await task.startIncremental()
      await task.complete()
      for (const t of ['bulk', 't1', 't2', 't3', 't4', 't5', 't6'])
        expect(await tableDigest(pair.target, db, `tbl_${t}`)).toBe(
          await tableDigest(pair.source, db, `tbl_${t}`),
        )
      expect(rewrites.length).toBeGreaterThanOrEqual(2)
    } finally {
      await Promise.all([...targets, watch, writer].map((c) => c.end()))
      await task.delete().catch(() => undefined)
      await task.close()
    }
  }, 300_000)
})
