/**
 * The cutover and the sync's edges on 16 → 16: a verify mismatch fails complete before anything is
 * dropped and a second complete (from a reopened task, with no sync running) finishes; DDL on the
 * source stops the stream with PGFERRY_DDL_DETECTED naming the table; the lag reaches 0 when the
 * source is idle; delete() while streaming leaves no slot, publication or origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTask, type PgferryError } from '../../src/index.js'
import type { PgferryEvents } from '../../src/model/events.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { COMPLETE_KIND } from '../../src/complete/complete-stage.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  eventually,
  leftovers as fixtureLeftovers,
  loadedTask,
  writeStep,
} from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

const leftovers = (db: string): Promise<unknown[]> => fixtureLeftovers(pair, db)

/** A source database with the incremental fixture's tables. */
async function incrementalDatabase(prefix: string): Promise<string> {
  const db = await pair.source.createDatabase(prefix)
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  return db
}

/** Source and target rows equal, and nothing left behind on either server. */
async function expectMigratedAndClean(db: string): Promise<void> {
  expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
  expect(await leftovers(db)).toEqual([])
}

describe('complete and the sync edges (16 → 16)', () => {
  it('a row-count mismatch fails complete and keeps the slot; complete again after a reopen drains and finishes', async () => {
    const db = await incrementalDatabase('mismatch')
    const task = await loadedTask(pair, db)
    const id = task.id
    await task.startIncremental()
    const c = await pair.source.client(db)
    for (let i = 1; i <= 10; i++) await writeStep(c, i)
    // the target diverges behind the task's back
    await pair.target.query(`INSERT INTO keyed VALUES (-1, 'stray', 'x')`, [], db)
    const error = (await task.complete().catch((e: unknown) => e)) as PgferryError
    expect(error.code).toBe('PGFERRY_VERIFY_MISMATCH')
    expect(error.message).toContain('public.keyed')
    expect(task.state).toBe('failed')
    expect((await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)).rowCount).toBe(1)
    await task.close()

    await pair.target.query(`DELETE FROM keyed WHERE k1 = -1`, [], db)
    for (let i = 11; i <= 20; i++) await writeStep(c, i)
    await c.end()
    const reopened = await openTask(id, { target: pair.target.url('postgres') })
    try {
      const result = await reopened.complete()
      expect(reopened.state).toBe('completed')
      expect(result.slotsDropped).toBe(1)
      await expectMigratedAndClean(db)
    } finally {
      await reopened.close()
    }
  }, 120_000)

  it('complete after a crash that had drained and dropped the slot but not marked the database done', async () => {
    const db = await incrementalDatabase('halfdone')
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      for (let i = 1; i <= 10; i++) await writeStep(c, i)
      await eventually(async () => (await sync.lag())[0]?.lagBytes === 0n)
      await sync.stop()
      // what a crash between the drop of the slot and the 'done' mark leaves behind
      const fence = (
        await pair.source.query<{ l: string }>(`SELECT pg_current_wal_lsn()::text AS l`)
      ).rows[0]?.l
      await task.store.putProgress(task.id, [
        { kind: COMPLETE_KIND, key: `${db}/drained`, value: { fence } },
      ])
      const { databases } = await readLoadProgress(task.store, task.id)
      await pair.source.query(`SELECT pg_drop_replication_slot($1)`, [databases.get(db)?.slot], db)
      const result = await task.complete()
      expect(task.state).toBe('completed')
      expect(result.slotsDropped).toBe(0)
      expect(result.publicationsDropped).toBe(1)
      await expectMigratedAndClean(db)
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('a missing slot fails startIncremental with PGFERRY_WAL_SLOT_MISSING, again on retry (nothing held)', async () => {
    const db = await incrementalDatabase('noslot')
    const task = await loadedTask(pair, db)
    try {
      const { databases } = await readLoadProgress(task.store, task.id)
      await pair.source.query(`SELECT pg_drop_replication_slot($1)`, [databases.get(db)?.slot], db)
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = (await task.startIncremental().catch((e: unknown) => e)) as PgferryError
        expect(error.code).toBe('PGFERRY_WAL_SLOT_MISSING')
      }
      await task.delete()
      expect(await leftovers(db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 120_000)

  it('stop() keeps the slot; startIncremental again resumes from the recorded progress', async () => {
    const db = await incrementalDatabase('restart')
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      const first = await task.startIncremental()
      for (let i = 1; i <= 10; i++) await writeStep(c, i)
      await first.stop()
      await first.done
      expect((await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)).rowCount).toBe(
        1,
      )
      for (let i = 11; i <= 20; i++) await writeStep(c, i)
      const second = await task.startIncremental()
      expect(second).not.toBe(first)
      for (let i = 21; i <= 30; i++) await writeStep(c, i)
      await task.complete()
      await expectMigratedAndClean(db)
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('two databases in one task: one stream each, drained and cut over together', async () => {
    const a = await pair.source.createDatabase('two_a')
    const b = await pair.source.createDatabase('two_b')
    for (const db of [a, b]) await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, a, { objects: { databases: { [a]: true, [b]: true } } })
    const ca = await pair.source.client(a)
    const cb = await pair.source.client(b)
    try {
      const sync = await task.startIncremental()
      for (let i = 1; i <= 10; i++) {
        await writeStep(ca, i)
        await writeStep(cb, 100 + i)
      }
      expect((await sync.lag()).map((l) => l.database).sort()).toEqual([a, b].sort())
      const result = await task.complete()
      expect(result.slotsDropped).toBe(2)
      expect(Object.keys(result.fenceLsn).sort()).toEqual([a, b].sort())
      for (const db of [a, b])
        expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await leftovers(a)).toEqual([])
      expect(await leftovers(b)).toEqual([])
    } finally {
      await ca.end()
      await cb.end()
      await task.close()
    }
  }, 120_000)

  it('a schema renamed by the selection: changes go to the target schema and database', async () => {
    const db = await pair.source.createDatabase('renamed')
    const tdb = `${db}_t`
    await pair.source.query(
      `CREATE SCHEMA app; SET search_path = app; ${INCREMENTAL_SCHEMA}`,
      [],
      db,
    )
    const task = await loadedTask(pair, db, {
      objects: { databases: { [db]: { as: tdb, schemas: { app: { as: 'moved' } } } } },
    })
    const c = await pair.source.client(db)
    try {
      await c.query(`SET search_path = app`)
      await task.startIncremental()
      for (let i = 1; i <= 10; i++) await writeStep(c, i)
      await task.complete()
      expect(await digests(pair.target, tdb, 'moved')).toEqual(
        await digests(pair.source, db, 'app'),
      )
      const seq = `SELECT last_value::text, is_called FROM %s.items_id_seq`
      expect((await pair.target.query(seq.replace('%s', 'moved'), [], tdb)).rows).toEqual(
        (await pair.source.query(seq.replace('%s', 'app'), [], db)).rows,
      )
      expect(await leftovers(db)).toEqual([])
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('a table created during sync in a schema selected whole: complete cuts over what was migrated and names the new table', async () => {
    const db = await incrementalDatabase('newtable')
    const task = await loadedTask(pair, db, {
      objects: { databases: { [db]: { schemas: { public: true } } } },
    })
    const warnings: PgferryEvents['warning'][] = []
    task.on('warning', (e) => warnings.push(e))
    const c = await pair.source.client(db)
    try {
      await task.startIncremental()
      for (let i = 1; i <= 5; i++) await writeStep(c, i)
      await c.query(`CREATE TABLE created_during_sync (id int PRIMARY KEY, v text)`)
      await c.query(`CREATE SEQUENCE seq_during_sync`)
      await c.query(`INSERT INTO created_during_sync VALUES (1, 'a'), (2, 'b')`)
      for (let i = 6; i <= 10; i++) await writeStep(c, i)
      const result = await task.complete()
      expect(task.state).toBe('completed')
      expect(result.slotsDropped).toBe(1)
      await expectMigratedAndClean(db)
      // not migrated, and said so
      expect(
        (await pair.target.query(`SELECT to_regclass('public.created_during_sync') AS r`, [], db))
          .rows,
      ).toEqual([{ r: null }])
      const notMigrated = warnings.filter((w) => w.code === 'PGFERRY_COMPLETE_NOT_MIGRATED')
      expect(notMigrated.map((w) => w.message).join('\n')).toContain('public.created_during_sync')
      expect(notMigrated.map((w) => w.message).join('\n')).toContain('public.seq_during_sync')
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('materialized views end as populated, and as fresh, as on the source at complete (REFRESH is not replicated)', async () => {
    const db = await pair.source.createDatabase('matviews')
    await pair.source.query(
      `CREATE TABLE base (id int PRIMARY KEY, g int);
       INSERT INTO base SELECT x, x % 3 FROM generate_series(1, 30) x;
       CREATE MATERIALIZED VIEW mv AS SELECT g, count(*) AS n, sum(id) AS s FROM base GROUP BY g;
       CREATE VIEW v_on_mv AS SELECT g, n FROM mv;
       CREATE MATERIALIZED VIEW mv_on_mv AS SELECT sum(n) AS total FROM v_on_mv;
       CREATE MATERIALIZED VIEW mv_never AS SELECT count(*) AS n FROM base WITH NO DATA;
       CREATE MATERIALIZED VIEW mv_later AS SELECT max(id) AS m FROM base WITH NO DATA;
       CREATE MATERIALIZED VIEW mv_emptied AS SELECT min(id) AS m FROM base;
       -- a matview that reads (through a view) a matview with a higher oid: oid order is wrong
       CREATE VIEW v_swap AS SELECT 0::bigint AS n;
       CREATE MATERIALIZED VIEW mv_top AS SELECT sum(n) AS total FROM v_swap;
       CREATE MATERIALIZED VIEW mv_low AS SELECT count(*) AS n FROM base;
       CREATE OR REPLACE VIEW v_swap AS SELECT n FROM mv_low;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      await task.startIncremental()
      await c.query(`INSERT INTO base SELECT x, x % 5 FROM generate_series(31, 80) x`)
      await c.query(`DELETE FROM base WHERE id <= 5`)
      // in dependency order on the source; the target must follow the same order
      await c.query(`REFRESH MATERIALIZED VIEW mv`)
      await c.query(`REFRESH MATERIALIZED VIEW mv_on_mv`)
      await c.query(`REFRESH MATERIALIZED VIEW mv_later`)
      await c.query(`REFRESH MATERIALIZED VIEW mv_emptied WITH NO DATA`)
      await c.query(`REFRESH MATERIALIZED VIEW mv_low`)
      await c.query(`REFRESH MATERIALIZED VIEW mv_top`)
      await task.complete()
      const populated = `SELECT relname, relispopulated FROM pg_class WHERE relkind = 'm' ORDER BY relname`
      expect((await pair.target.query(populated, [], db)).rows).toEqual(
        (await pair.source.query(populated, [], db)).rows,
      )
      for (const q of [
        `SELECT * FROM mv ORDER BY g`,
        `SELECT * FROM mv_on_mv`,
        `SELECT * FROM mv_later`,
        `SELECT * FROM mv_top`,
      ]) {
        expect((await pair.target.query(q, [], db)).rows).toEqual(
          (await pair.source.query(q, [], db)).rows,
        )
      }
      expect((await pair.target.query(`SELECT total FROM mv_on_mv`, [], db)).rows).toEqual([
        { total: '75' },
      ])
      expect((await pair.target.query(`SELECT total FROM mv_top`, [], db)).rows).toEqual([
        { total: '75' },
      ])
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('a table created on the source is still named as not replicated after the sync restarts', async () => {
    const db = await incrementalDatabase('newafterrestart')
    const task = await loadedTask(pair, db)
    const warnings: PgferryEvents['warning'][] = []
    task.on('warning', (e) => warnings.push(e))
    try {
      const first = await task.startIncremental()
      await pair.source.query(`CREATE TABLE made_during_sync (id int PRIMARY KEY)`, [], db)
      await first.stop()
      // the restarted stream must judge the table by what was migrated, not by the live catalog
      await task.startIncremental({ lagIntervalMs: 200, newTableCheckMs: 200 })
      await eventually(async () =>
        warnings.some(
          (w) =>
            w.code === 'PGFERRY_APPLY_NEW_TABLE' && w.message.includes('public.made_during_sync'),
        ),
      )
      await task.delete()
      expect(await leftovers(db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 120_000)

  it('DDL on the source stops the stream with PGFERRY_DDL_DETECTED naming the table', async () => {
    const db = await incrementalDatabase('ddl')
    const task = await loadedTask(pair, db)
    const errors: PgferryEvents['error'][] = []
    task.on('error', (e) => errors.push(e))
    try {
      const sync = await task.startIncremental()
      await pair.source.query(
        `ALTER TABLE toasty ADD COLUMN extra int; INSERT INTO toasty VALUES (1000, 'x', 1, 2)`,
        [],
        db,
      )
      const failure = (await sync.done.catch((e: unknown) => e)) as PgferryError
      expect(failure.code).toBe('PGFERRY_DDL_DETECTED')
      expect(failure.message).toContain('public.toasty')
      expect(errors.map((e) => e.error.code)).toContain('PGFERRY_DDL_DETECTED')
      // this process's Task object knows at once, without a refresh
      expect(task.state).toBe('failed')
      expect(await task.refresh()).toBe('failed')
      // nothing of the transaction is on the target, and the slot is kept for a resume
      expect(
        (await pair.target.query(`SELECT 1 FROM toasty WHERE id = 1000`, [], db)).rowCount,
      ).toBe(0)
      expect((await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)).rowCount).toBe(
        1,
      )
      await task.delete()
      expect(await leftovers(db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 120_000)

  it('the lag reaches 0 bytes and 0 s when the source is idle; delete() while streaming leaves nothing', async () => {
    const db = await incrementalDatabase('lag')
    const task = await loadedTask(pair, db)
    const lags: PgferryEvents['wal:lag'][] = []
    task.on('wal:lag', (e) => lags.push(e))
    const warnings: PgferryEvents['warning'][] = []
    task.on('warning', (e) => warnings.push(e))
    // IncrementalOptions: Task.startIncremental is typed with StageCallOptions for now
    const sync = await task.startIncremental({ lagIntervalMs: 200, newTableCheckMs: 200 })
    const c = await pair.source.client(db)
    for (let i = 1; i <= 5; i++) await writeStep(c, i)
    // a table created after the load is not in the publication: said, not silently ignored
    await c.query(`CREATE TABLE created_later (id int PRIMARY KEY)`)
    await c.end()
    await eventually(async () =>
      warnings.some(
        (w) => w.code === 'PGFERRY_APPLY_NEW_TABLE' && w.message.includes('public.created_later'),
      ),
    )
    await eventually(async () => {
      const [l] = await sync.lag()
      return l !== undefined && l.lagBytes === 0n && l.lagSeconds === 0
    })
    await eventually(async () => lags.some((l) => l.lagBytes === 0))
    expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
    expect(warnings.filter((w) => w.code === 'PGFERRY_APPLY_NEW_TABLE')).toHaveLength(1)
    await task.delete()
    await sync.done
    expect(await leftovers(db)).toEqual([])
    const rows = await pair.target
      .query(`SELECT count(*)::int AS n FROM pgferry.apply_progress`, [], db)
      .catch(() => ({ rows: [{ n: 0 }] }))
    expect(rows.rows[0]?.n ?? 0).toBe(0)
  }, 120_000)
})
