/**
 * The apply merges a group of source transactions per table and key (change-merger.ts, issue 11),
 * on 16 → 16. Each case writes its source transactions before the sync starts, so the stream
 * delivers them back to back and they share target transactions; every check reads the target with
 * SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
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

/** One group may hold everything a case writes (the idle commit may still split it). */
const GROUPED = { batchMs: 600_000 }

/** Wait until every source change so far is committed on the target (a failure is thrown). */
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

async function sameTables(db: string, tables: readonly string[]): Promise<void> {
  for (const t of tables) {
    expect([t, await tableDigest(pair.target, db, t)]).toEqual([
      t,
      await tableDigest(pair.source, db, t),
    ])
  }
}

describe('apply merge 16 → 16', () => {
  it('hot rows: many source transactions updating the same rows of two tables (and inserting into a keyless one) become a few statements per group', async () => {
    const db = await pair.source.createDatabase('hot')
    await pair.source.query(
      `CREATE TABLE a (id int PRIMARY KEY, n int NOT NULL);
       CREATE TABLE b (id int PRIMARY KEY, n int NOT NULL);
       CREATE TABLE h (a int, b int);
       ALTER TABLE h REPLICA IDENTITY FULL;
       INSERT INTO a VALUES (1, 0), (2, 0); INSERT INTO b VALUES (1, 0);`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      const TXNS = 300
      for (let i = 0; i < TXNS; i++) {
        await c.query(
          `BEGIN; UPDATE a SET n = n + 1 WHERE id = ${1 + (i % 2)}; UPDATE b SET n = n + 1 WHERE id = 1;
           INSERT INTO h VALUES (${i}, ${i}); COMMIT`,
        )
      }
      const sync = await task.startIncremental(GROUPED)
      await caughtUp(sync)
      await sameTables(db, ['a', 'b', 'h'])
      // cmin is the command (statement) of its target transaction that wrote the row version: one
      // statement per change would put it near 3 × TXNS, one per table and group near 0
      const r = await pair.target.query<{ cmin: number }>(
        `SELECT cmin::text::int AS cmin FROM b WHERE id = 1`,
        [],
        db,
      )
      expect(r.rows[0]?.cmin).toBeLessThan(TXNS / 3)
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('a key inserted, updated twice and deleted in one group is gone; one inserted and updated keeps the merged values; unchanged TOAST keeps what an earlier update of the group set', async () => {
    const db = await pair.source.createDatabase('keyseq')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY, big text, small int);
       ALTER TABLE t ALTER COLUMN big SET STORAGE EXTERNAL;
       INSERT INTO t SELECT g, (SELECT string_agg(md5(g::text || x), '') FROM generate_series(1, 100) x), g FROM generate_series(1, 10) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    const big = `(SELECT string_agg(md5('new' || x), '') FROM generate_series(1, 100) x)`
    try {
      // each step its own source transaction, so the merge is across transactions of one group
      for (const sql of [
        `INSERT INTO t VALUES (1001, 'first', 0)`,
        `UPDATE t SET small = 1 WHERE id = 1001`,
        `UPDATE t SET small = 2, big = 'second' WHERE id = 1001`,
        `DELETE FROM t WHERE id = 1001`,
        `INSERT INTO t VALUES (1002, ${big}, 0)`,
        `UPDATE t SET small = 5 WHERE id = 1002`,
        `UPDATE t SET small = 6 WHERE id = 1002`,
        // an existing row: a new out-of-line value, then an update that sends it as unchanged
        `UPDATE t SET big = ${big} || 'x' WHERE id = 5`,
        `UPDATE t SET small = 55 WHERE id = 5`,
        `UPDATE t SET small = 66 WHERE id = 6`,
        `UPDATE t SET small = 67 WHERE id = 6`,
        // deleted after an update in the group, then inserted again
        `UPDATE t SET small = 77 WHERE id = 7`,
        `DELETE FROM t WHERE id = 7`,
        `INSERT INTO t VALUES (7, 'seven again', 7)`,
        `UPDATE t SET small = 78 WHERE id = 7`,
      ])
        await c.query(sql)
      const sync = await task.startIncremental(GROUPED)
      await caughtUp(sync)
      await sameTables(db, ['t'])
      const r = await pair.target.query<{ id: number; small: number; len: number }>(
        `SELECT id, small, length(big) AS len FROM t WHERE id IN (5, 6, 7, 1001, 1002) ORDER BY id`,
        [],
        db,
      )
      expect(r.rows).toEqual([
        { id: 5, small: 55, len: 3201 },
        { id: 6, small: 67, len: 3200 },
        { id: 7, small: 78, len: 11 },
        { id: 1002, small: 6, len: 3200 },
      ])
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('a bulk transaction past the held limit (its changes then go straight to the writer) lands exactly: keys updated twice in it, unchanged TOAST, inserts, and a hot-row transaction after it in the same group', async () => {
    const db = await pair.source.createDatabase('bulk')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL, big text);
       ALTER TABLE t ALTER COLUMN big SET STORAGE EXTERNAL;
       INSERT INTO t SELECT g, 0, CASE WHEN g % 5000 = 0
         THEN (SELECT string_agg(md5(g::text || x), '') FROM generate_series(1, 100) x) END
         FROM generate_series(1, 25000) g;
       CREATE TABLE hot (id int PRIMARY KEY, n int NOT NULL);
       INSERT INTO hot VALUES (1, 0);`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      // 25,000 distinct keys (past DEFAULT_MERGE_ROWS), then every key again in the same
      // transaction, some inserts, and an update that sends the TOASTed column as unchanged
      await c.query(
        `BEGIN;
         UPDATE t SET n = n + 1;
         UPDATE t SET n = n * 10 WHERE id % 3 = 0;
         INSERT INTO t SELECT g, g, NULL FROM generate_series(25001, 37000) g;
         UPDATE t SET n = -n WHERE id % 5000 = 0;
         UPDATE hot SET n = n + 1 WHERE id = 1;
         COMMIT`,
      )
      for (let i = 0; i < 50; i++) await c.query(`UPDATE hot SET n = n + 1 WHERE id = 1`)
      const sync = await task.startIncremental(GROUPED)
      await caughtUp(sync)
      await sameTables(db, ['t', 'hot'])
      const r = await pair.target.query<{
        rows: number
        sum: string
        toasted: number
        hot: number
      }>(
        `SELECT count(*)::int AS rows, sum(n)::text AS sum,
                count(*) FILTER (WHERE length(big) = 3200)::int AS toasted,
                (SELECT n FROM hot WHERE id = 1) AS hot
           FROM t`,
        [],
        db,
      )
      expect(r.rows[0]).toMatchObject({ rows: 37000, toasted: 5, hot: 51 })
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('values of a UNIQUE column changing hands across the transactions of one group keep the source order', async () => {
    const db = await pair.source.createDatabase('uswap')
    await pair.source.query(
      `CREATE TABLE uq (id int PRIMARY KEY, u int NOT NULL UNIQUE, n int NOT NULL DEFAULT 0);
       INSERT INTO uq SELECT g, g FROM generate_series(1, 100) g;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      // each swap over three source transactions: merged per key it would be a → b and b → a,
      // which no order of two single-row updates can apply
      for (let a = 1; a < 40; a += 2) {
        const b = a + 1
        await c.query(`UPDATE uq SET u = -u, n = n + 1 WHERE id = ${b}`)
        await c.query(`UPDATE uq SET u = ${b}, n = n + 1 WHERE id = ${a}`)
        await c.query(`UPDATE uq SET u = ${a}, n = n + 1 WHERE id = ${b}`)
      }
      const sync = await task.startIncremental(GROUPED)
      await caughtUp(sync)
      await sameTables(db, ['uq'])
      const r = await pair.target.query<{ u: number }>(`SELECT u FROM uq WHERE id = 1`, [], db)
      expect(r.rows).toEqual([{ u: 2 }])
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('a table with an ENABLE ALWAYS trigger on the target sees every change in the source order, after the changes of other tables that came before it', async () => {
    const db = await pair.source.createDatabase('always')
    await pair.source.query(
      `CREATE TABLE watched (id int PRIMARY KEY, n int NOT NULL);
       CREATE TABLE other (id int PRIMARY KEY, n int NOT NULL);
       INSERT INTO watched VALUES (1, 0); INSERT INTO other VALUES (1, 0);`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    // on the target only: an audit of what the trigger saw, the other table's row included
    await pair.target.query(
      `CREATE TABLE audit (seq bigserial PRIMARY KEY, n int, other_n int);
       CREATE FUNCTION audit_watched() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO public.audit (n, other_n) VALUES (NEW.n, (SELECT o.n FROM public.other o WHERE o.id = 1));
         RETURN NEW;
       END $$;
       CREATE TRIGGER audit_watched AFTER UPDATE ON watched FOR EACH ROW EXECUTE FUNCTION audit_watched();
       ALTER TABLE watched ENABLE ALWAYS TRIGGER audit_watched;`,
      [],
      db,
    )
    const c = await pair.source.client(db)
    try {
      for (let i = 1; i <= 5; i++) {
        await c.query(
          `BEGIN; UPDATE other SET n = ${i * 10} WHERE id = 1; UPDATE watched SET n = ${i} WHERE id = 1; COMMIT`,
        )
      }
      const sync = await task.startIncremental(GROUPED)
      await caughtUp(sync)
      await sameTables(db, ['watched', 'other'])
      const r = await pair.target.query<{ n: number; other_n: number }>(
        `SELECT n, other_n FROM audit ORDER BY seq`,
        [],
        db,
      )
      expect(r.rows).toEqual([1, 2, 3, 4, 5].map((i) => ({ n: i, other_n: i * 10 })))
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)
})
