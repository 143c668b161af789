/**
 * The target ledger on 16 → 16 (issue 12, model/target-ledger.ts): the rows that commit with the
 * copied rows live in the target database, in the schema the task's store names (not a constant),
 * whatever store is configured; only the stages that need them create them; `complete` and
 * `delete` leave nothing. Every check reads the target's catalogs by SQL.
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgStore, type ProgressStore, type Task } from '../../src/index.js'
import { ensureLedger, releaseLedger } from '../../src/store/target-ledger.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  leftovers,
  loadedTask,
  writeStep,
} from '../harness/incremental-fixture.js'
import { caughtUp } from '../harness/caught-up.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

const LEDGER_TABLES = ['copy_done', 'postdata_done', 'apply_progress']

/** Every ledger table (`schema.table`) in target database `db`, from pg_class. */
async function ledgerTables(db: string): Promise<string[]> {
  const r = await pair.target.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relname = ANY($1::text[]) AND c.relkind = 'r' ORDER BY 1`,
    [LEDGER_TABLES],
    db,
  )
  return r.rows.map((x) => x.name)
}

/** Whether target database `db` has schema `schema`. */
async function hasSchema(db: string, schema: string): Promise<boolean> {
  const r = await pair.target.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema], db)
  return (r.rowCount ?? 0) > 0
}

/** The task's copy_done rows in `schema` of target database `db`. */
async function chunkRows(db: string, schema: string, taskId: string): Promise<number> {
  const r = await pair.target.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${schema}".copy_done WHERE task_id = $1`,
    [taskId],
    db,
  )
  return r.rows[0]?.n ?? 0
}

/** A full+incremental task over a fresh database, loaded, with `store`. */
async function loaded(
  prefix: string,
  store: 'memory' | ProgressStore,
): Promise<{ db: string; task: Task }> {
  const db = await pair.source.createDatabase(prefix)
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  const task = await loadedTask(pair, db, { config: { store } })
  return { db, task }
}

/** Stream some changes, then cut over; the target equals the source. */
async function syncAndComplete(task: Task, db: string): Promise<void> {
  const sync = await task.startIncremental()
  const c = await pair.source.client(db)
  try {
    for (let i = 1; i <= 3; i++) await writeStep(c, i)
  } finally {
    await c.end()
  }
  await caughtUp(sync, pair.source)
  await task.complete()
  expect(task.state).toBe('completed')
  expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
}

describe('the target ledger (16 → 16)', () => {
  it("a custom store schema: the ledger is in that schema of the target database, never in 'pgferry', and gone after complete", async () => {
    const store = pgStore(pair.target.url('postgres'), { schema: 'ferry_custom' })
    try {
      const { db, task } = await loaded('ledger_custom', store)
      // the full load created its two tables; the sync of a superuser uses an origin, no table
      expect(await ledgerTables(db)).toEqual([
        'ferry_custom.copy_done',
        'ferry_custom.postdata_done',
      ])
      expect(await chunkRows(db, 'ferry_custom', task.id)).toBeGreaterThan(0)
      // the store's own database holds the store, not the ledger
      expect(await ledgerTables('postgres')).toEqual([])
      for (const d of [db, 'postgres']) expect(await hasSchema(d, 'pgferry')).toBe(false)
      await syncAndComplete(task, db)
      expect(await ledgerTables(db)).toEqual([])
      expect(await hasSchema(db, 'ferry_custom')).toBe(false)
      expect(await hasSchema(db, 'pgferry')).toBe(false)
      expect(await leftovers(pair, db)).toEqual([])
      // the store itself is where it was, with the task completed
      const r = await pair.target.query<{ state: string }>(
        `SELECT state FROM ferry_custom.task WHERE id = $1`,
        [task.id],
      )
      expect(r.rows).toEqual([{ state: 'completed' }])
    } finally {
      await store.close()
    }
  }, 180_000)

  it('the memory store: the ledger is in the target database all the same, and nothing is left after complete', async () => {
    const { db, task } = await loaded('ledger_memory', 'memory')
    expect(await ledgerTables(db)).toEqual(['pgferry.copy_done', 'pgferry.postdata_done'])
    expect(await chunkRows(db, 'pgferry', task.id)).toBeGreaterThan(0)
    await syncAndComplete(task, db)
    expect(await ledgerTables(db)).toEqual([])
    expect(await hasSchema(db, 'pgferry')).toBe(false)
    expect(await leftovers(pair, db)).toEqual([])
  }, 180_000)

  it('delete leaves nothing of the ledger either (memory store and custom schema)', async () => {
    const store = pgStore(pair.target.url('postgres'), { schema: 'ferry_delete' })
    try {
      for (const [prefix, s, schema] of [
        ['ledger_del_mem', 'memory', 'pgferry'],
        ['ledger_del_custom', store, 'ferry_delete'],
      ] as const) {
        const { db, task } = await loaded(prefix, s)
        expect(await ledgerTables(db)).toEqual([`${schema}.copy_done`, `${schema}.postdata_done`])
        await task.delete()
        expect(await ledgerTables(db)).toEqual([])
        expect(await hasSchema(db, schema)).toBe(false)
        expect(await leftovers(pair, db)).toEqual([])
      }
    } finally {
      await store.close()
    }
  }, 240_000)
})

describe('the ledger drop (16)', () => {
  async function client(db: string): Promise<pg.Client> {
    const c = await pair.target.client(db)
    c.on('error', () => undefined)
    return c
  }
  const ledger = { schema: 'ferry_shared' }

  it("keeps the tables another task's session uses, and drops them once it ended", async () => {
    const db = await pair.target.createDatabase('ledger_shared')
    const other = await client(db)
    const mine = await client(db)
    try {
      // another task's load holds the ledger (its rows not written yet); this task has a row
      await ensureLedger(other, ledger, ['copyDone', 'postDataDone'])
      await ensureLedger(mine, ledger, ['copyDone'])
      await mine.query(
        `INSERT INTO ferry_shared.copy_done (task_id, source_db, rel_oid, chunk, chunks, epoch, rows, bytes)
         VALUES ('mine', 'src', 1, 0, 1, 'e', 1, 1)`,
      )
      await mine.end()
      const releasing = await client(db)
      try {
        await releaseLedger(releasing, ledger, 'mine', 'src')
      } finally {
        await releasing.end()
      }
      // this task's rows are gone; the tables stay for the other task
      expect(await ledgerTables(db)).toEqual([
        'ferry_shared.copy_done',
        'ferry_shared.postdata_done',
      ])
      const rows = await pair.target.query(`SELECT * FROM ferry_shared.copy_done`, [], db)
      expect(rows.rows).toEqual([])
      await other.end()
      const last = await client(db)
      try {
        await releaseLedger(last, ledger, 'other')
      } finally {
        await last.end()
      }
      expect(await ledgerTables(db)).toEqual([])
      expect(await hasSchema(db, 'ferry_shared')).toBe(false)
    } finally {
      await other.end().catch(() => undefined)
      await mine.end().catch(() => undefined)
    }
  })

  it("never drops a schema it did not create, nor another task's rows", async () => {
    const db = await pair.target.createDatabase('ledger_kept')
    await pair.target.query(`CREATE SCHEMA ferry_shared`, [], db)
    const c = await client(db)
    try {
      await ensureLedger(c, ledger, ['copyDone'])
      await c.query(
        `INSERT INTO ferry_shared.copy_done (task_id, source_db, rel_oid, chunk, chunks, epoch, rows, bytes)
         VALUES ('a', 'src', 1, 0, 1, 'e', 1, 1), ('b', 'src', 1, 0, 1, 'e', 1, 1)`,
      )
    } finally {
      await c.end()
    }
    const r = await client(db)
    try {
      await releaseLedger(r, ledger, 'a')
      // b's row keeps the table
      expect(await ledgerTables(db)).toEqual(['ferry_shared.copy_done'])
      await releaseLedger(r, ledger, 'b')
      expect(await ledgerTables(db)).toEqual([])
      // the schema was the caller's: kept, though empty
      expect(await hasSchema(db, 'ferry_shared')).toBe(true)
    } finally {
      await r.end()
    }
  })
})
