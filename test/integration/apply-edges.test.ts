/**
 * The apply's edge cases on 16 → 16, each a divergence or a stuck stream found on real clusters
 * (issue 10): inheritance children under a parent's UPDATE/DELETE/TRUNCATE, the order of rows in a
 * set-based UPDATE that swaps UNIQUE values, DDL inside a source transaction with DML, and
 * identity/generated columns. Every check reads the target with SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PgferryError } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import type { IncrementalSync } from '../../src/apply/incremental-sync.js'
import type { LagSample } from '../../src/apply/database-apply.js'
import { parseLsn } from '../../src/wal/lsn.js'
import { eventually, loadedTask, tableDigest } from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** `FROM ONLY` digests of `tables` on both sides: each relation alone, never its children. */
async function onlyDigests(db: string, tables: readonly string[]): Promise<string[][]> {
  const out: string[][] = []
  for (const t of tables) {
    out.push([
      t,
      await tableDigest(pair.source, db, `ONLY ${t}`),
      await tableDigest(pair.target, db, `ONLY ${t}`),
    ])
  }
  return out
}

/**
 * Wait until every source change so far is committed on the target: the applied position reaches
 * the source's WAL position read now (a failed apply never gets there, and its failure is thrown).
 */
async function caughtUp(sync: IncrementalSync): Promise<void> {
  let failure: unknown
  sync.done.catch((e: unknown) => {
    failure = e
  })
  const r = await pair.source.query<{ l: string }>(`SELECT pg_current_wal_lsn()::text AS l`)
  const fence = parseLsn(r.rows[0]?.l ?? '0/0')
  await eventually(async () => {
    if (failure !== undefined) throw failure
    const lags = (await sync.lag()) as readonly LagSample[]
    return lags.every((l) => parseLsn(l.appliedLsn) >= fence)
  }, 60_000)
}

describe('apply edge cases (16 → 16)', () => {
  it('inheritance: UPDATE ONLY / DELETE FROM ONLY / TRUNCATE ONLY of a parent leave its children alone', async () => {
    const db = await pair.source.createDatabase('inherit')
    const tables = ['ip', 'ic1', 'ic2']
    // empty at the load: the full load's own inheritance handling is tested with the COPY path
    await pair.source.query(
      `CREATE TABLE ip (id int PRIMARY KEY, v text);
       CREATE TABLE ic1 (id int PRIMARY KEY, v text, a int) INHERITS (ip);
       CREATE TABLE ic2 (id int PRIMARY KEY, v text) INHERITS (ip);
       CREATE TABLE ipk (id int, v text) ;
       CREATE TABLE ick (w int) INHERITS (ipk);
       ALTER TABLE ipk REPLICA IDENTITY FULL;
       ALTER TABLE ick REPLICA IDENTITY FULL;`,
      [],
      db,
    )
    tables.push('ipk', 'ick')
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      // overlapping ids in the parent and each child
      await c.query(`INSERT INTO ip SELECT g, 'p' || g FROM generate_series(1, 10) g`)
      await c.query(`INSERT INTO ic1 SELECT g, 'c1-' || g, g FROM generate_series(1, 10) g`)
      await c.query(`INSERT INTO ic2 SELECT g, 'c2-' || g FROM generate_series(1, 10) g`)
      await c.query(`INSERT INTO ipk SELECT g % 5, 'k' || g FROM generate_series(1, 10) g`)
      await c.query(`INSERT INTO ick SELECT g % 5, 'k' || g, g FROM generate_series(1, 10) g`)
      await c.query(`UPDATE ONLY ip SET v = v || '+' WHERE id <= 5`)
      await c.query(`UPDATE ONLY ip SET id = id + 100 WHERE id = 6`)
      await c.query(`DELETE FROM ONLY ip WHERE id = 1`)
      await c.query(`UPDATE ONLY ipk SET v = v || '+' WHERE v = 'k1'`)
      await c.query(`DELETE FROM ONLY ipk WHERE v = 'k2'`)
      await c.query(`UPDATE ic1 SET v = v || '!' WHERE id = 2`)
      await caughtUp(sync)
      expect((await onlyDigests(db, tables)).filter(([, s, t]) => s !== t)).toEqual([])
      await c.query(`TRUNCATE ONLY ip`)
      await c.query(`TRUNCATE ONLY ipk`)
      await caughtUp(sync)
      const after = await onlyDigests(db, tables)
      expect(after.filter(([, s, t]) => s !== t)).toEqual([])
      // the children still hold their rows (not a vacuous equality of empty tables)
      expect(after.find(([t]) => t === 'ic1')?.[2]).toMatch(/^10:/)
      expect(after.find(([t]) => t === 'ick')?.[2]).toMatch(/^10:/)
      await task.complete()
      expect((await onlyDigests(db, tables)).filter(([, s, t]) => s !== t)).toEqual([])
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('set-based UPDATE runs keep the source order where the values of a UNIQUE column change hands (a hash plan on the target)', async () => {
    const db = await pair.source.createDatabase('uniqorder')
    await pair.source.query(
      `CREATE TABLE uq (id int PRIMARY KEY, u int NOT NULL UNIQUE, pad text);
       INSERT INTO uq SELECT g, g, repeat('x', 50) FROM generate_series(1, 20000) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    // the join of a run with the table no longer follows the run's order: hash or merge, by the
    // table's physical or key order
    await pair.target.query(`ALTER DATABASE "${db}" SET enable_nestloop = off`)
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      // swaps of u between neighbours, each in the only order a non-deferrable UNIQUE allows:
      // the run [b → -b, a → b] must be applied b first, and the table's order says a first
      for (let a = 1; a < 200; a += 2) {
        const b = a + 1
        await c.query(
          `BEGIN;
           UPDATE uq SET u = -u WHERE id = ${b};
           UPDATE uq SET u = ${b} WHERE id = ${a};
           UPDATE uq SET u = ${a} WHERE id = ${b};
           COMMIT`,
        )
      }
      await caughtUp(sync)
      expect(await tableDigest(pair.target, db, 'uq')).toBe(
        await tableDigest(pair.source, db, 'uq'),
      )
      const swapped = await pair.target.query<{ u: number }>(
        `SELECT u FROM uq WHERE id = 1`,
        [],
        db,
      )
      expect(swapped.rows).toEqual([{ u: 2 }])
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('DDL inside a source transaction with DML: the fix the error names (the same ALTER on the target, then start again) works, for ADD and DROP COLUMN', async () => {
    const db = await pair.source.createDatabase('ddltxn')
    await pair.source.query(
      `CREATE TABLE d (id int PRIMARY KEY, v text);
       CREATE TABLE e (id int PRIMARY KEY, v text, x int);
       INSERT INTO d SELECT g, 'd' || g FROM generate_series(1, 10) g;
       INSERT INTO e SELECT g, 'e' || g, g FROM generate_series(1, 10) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      // each round: a transaction that changes a table's columns between two of its writes stops
      // the apply; the user does what the error says, and the apply goes on from that transaction
      const rounds: [string, string, string][] = [
        [
          'public.d',
          `BEGIN;
           INSERT INTO d VALUES (11, 'before');
           UPDATE d SET v = 'u' WHERE id = 1;
           ALTER TABLE d ADD COLUMN c int DEFAULT 7;
           INSERT INTO d VALUES (12, 'after', 8);
           UPDATE d SET c = 9 WHERE id = 2;
           COMMIT`,
          `ALTER TABLE d ADD COLUMN c int DEFAULT 7`,
        ],
        [
          'public.e',
          `BEGIN;
           INSERT INTO e VALUES (11, 'before', 11);
           UPDATE e SET x = -1 WHERE id = 1;
           ALTER TABLE e DROP COLUMN x;
           INSERT INTO e VALUES (12, 'after');
           UPDATE e SET v = 'u' WHERE id = 2;
           COMMIT`,
          `ALTER TABLE e DROP COLUMN x`,
        ],
      ]
      for (const [table, sql, fix] of rounds) {
        const sync = await task.startIncremental()
        await c.query(sql)
        const failure = (await sync.done.catch((e: unknown) => e)) as PgferryError
        expect(failure.code).toBe('PGFERRY_DDL_DETECTED')
        expect(failure.message).toContain(table)
        expect(failure.fix).toContain('apply the same DDL to the target')
        await pair.target.query(fix, [], db)
      }
      const sync = await task.startIncremental()
      await c.query(`INSERT INTO d VALUES (13, 'later', 10); UPDATE d SET c = c + 1 WHERE id = 3`)
      await c.query(`INSERT INTO e VALUES (13, 'later'); UPDATE e SET v = v || '!' WHERE id = 3`)
      await caughtUp(sync)
      for (const t of ['d', 'e'])
        expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
      await task.complete()
      for (const t of ['d', 'e'])
        expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)
})
