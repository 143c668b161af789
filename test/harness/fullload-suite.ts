/**
 * The full load's equality test, shared by the version-pair test files: every common type, a
 * writer that keeps writing during the copy, and an oracle for "the snapshot moment": a template
 * copy of the source taken before the writer starts, replayed with exactly the writer
 * transactions the target shows (the writer is deterministic and bumps `wmark.i` in each one).
 */
import { expect } from 'vitest'
import type pg from 'pg'
import { createTask, type PgferryEvents } from '../../src/index.js'
import type { Task } from '../../src/task/task.js'
import type { MigrationType } from '../../src/model/task-config.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import type { ClusterPair } from './cluster.js'
import {
  PRE_DATA,
  SOURCE_ONLY,
  TABLES,
  savePlan,
  seed,
  tableDigests,
  writerTx,
} from './fullload-fixture.js'

/** Until the structure stage lands: move a fresh task to where fullLoad may run. */
export async function readyForFullLoad(task: Task): Promise<void> {
  await task.store.updateTask(task.id, { state: 'running_structure' })
  await task.refresh()
}

/** Source and target databases with the fixture's tables; returns their names. */
export async function prepareDatabases(
  pair: ClusterPair,
  prefix: string,
): Promise<{ sdb: string; tdb: string }> {
  const sdb = await pair.source.createDatabase(prefix)
  const tdb = await pair.target.createDatabase(`${prefix}_t`)
  await pair.source.query(PRE_DATA + SOURCE_ONLY, [], sdb)
  await pair.target.query(PRE_DATA, [], tdb)
  await seed(pair.source, sdb)
  return { sdb, tdb }
}

/** Start the deterministic writer; `stop()` ends it after one more transaction. */
export function startWriter(client: pg.Client): {
  count: () => number
  waitFor: (n: number) => Promise<void>
  stop: () => Promise<number>
} {
  let i = 0
  let stopping = false
  let failed: unknown
  const loop = (async () => {
    for (;;) {
      await writerTx(client, i + 1)
      i++
      if (stopping) return
    }
  })().catch((error: unknown) => {
    failed = error
  })
  return {
    count: () => i,
    waitFor: async (n) => {
      while (i < n) {
        if (failed !== undefined) throw failed
        await new Promise((r) => setTimeout(r, 10))
      }
    },
    stop: async () => {
      stopping = true
      await loop
      if (failed !== undefined) throw failed
      return i
    },
  }
}

/** The equality test body for one pair and task type. */
export async function equalityUnderWrites(
  pair: ClusterPair,
  type: MigrationType,
): Promise<{ task: Task; sdb: string; tdb: string }> {
  const { sdb, tdb } = await prepareDatabases(pair, type === 'full' ? 'fl_full' : 'fl_inc')
  const oracle = `${sdb}_oracle`
  await pair.source.query(`CREATE DATABASE ${oracle} TEMPLATE ${sdb}`)
  await pair.source.query(`CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM nums`, [], sdb)
  await pair.target.query(
    `CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM nums WITH NO DATA`,
    [],
    tdb,
  )

  const task = await createTask({
    name: `fullload ${type}`,
    source: pair.source.config(sdb),
    target: pair.target.config(tdb),
    type,
    objects: { databases: { [sdb]: { as: tdb } } },
    parallelism: 2,
    splitTablesLargerThan: 1_000_000,
    // slow enough that the writer commits during the copy
    throttle: { bytesPerSecond: 6_000_000 },
  })
  await readyForFullLoad(task)
  await savePlan(task.store, task.id, pair.source, sdb, tdb)
  const copied: PgferryEvents['table:copied'][] = []
  const chunks: PgferryEvents['chunk:progress'][] = []
  const progress: PgferryEvents['load:progress'][] = []
  task.on('table:copied', (e) => copied.push(e))
  task.on('chunk:progress', (e) => chunks.push(e))
  task.on('load:progress', (e) => progress.push(e))

  const writerClient = await pair.source.client(sdb)
  const writer = startWriter(writerClient)
  await writer.waitFor(3)
  let result
  try {
    result = await task.fullLoad()
  } finally {
    await writer.stop()
    await writerClient.end()
  }
  const total = writer.count()

  // The target shows exactly the writer transactions 1..N: replay them on the oracle.
  const n = Number(
    (await pair.target.query<{ i: number }>('SELECT i FROM wmark', [], tdb)).rows[0]?.i,
  )
  expect(n).toBeGreaterThanOrEqual(3)
  expect(total).toBeGreaterThan(n)
  const o = await pair.source.client(oracle)
  for (let i = 1; i <= n; i++) await writerTx(o, i)
  await o.end()
  const expected = await tableDigests(pair.source, oracle)
  const actual = await tableDigests(pair.target, tdb)
  expect(actual).toEqual(expected)
  // and the live source has moved on
  expect((await tableDigests(pair.source, sdb, ['wmark'])).wmark).not.toEqual(actual.wmark)

  // post-data objects
  const cons = await pair.target.query<{ conname: string; contype: string; convalidated: boolean }>(
    // v18 records NOT NULL as constraints too (contype 'n'): the post-data plan is about the others
    `SELECT conname, contype, convalidated FROM pg_constraint
      WHERE conrelid IN ('nums'::regclass, 'refs'::regclass) AND contype <> 'n' ORDER BY 1`,
    [],
    tdb,
  )
  expect(cons.rows).toEqual([
    { conname: 'nums_pkey', contype: 'p', convalidated: true },
    { conname: 'refs_fk', contype: 'f', convalidated: true },
  ])
  const idx = await pair.target.query<{ relname: string; indisvalid: boolean }>(
    `SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname IN ('events_at_idx', 'typed_id_idx', 'nums_pkey') ORDER BY 1`,
    [],
    tdb,
  )
  expect(idx.rows).toEqual([
    { relname: 'events_at_idx', indisvalid: true },
    { relname: 'nums_pkey', indisvalid: true },
    { relname: 'typed_id_idx', indisvalid: true },
  ])
  // analyzed, sequences set, matview refreshed
  const analyzed = await pair.target.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM pg_stat_user_tables WHERE relname = 'nums' AND last_analyze IS NOT NULL`,
    [],
    tdb,
  )
  expect(analyzed.rows[0]?.n).toBe('1')
  const seq = await pair.target.query<{ next: string; max: string }>(
    `SELECT nextval(pg_get_serial_sequence('typed', 'id'))::text AS next, (SELECT max(id) FROM typed)::text AS max`,
    [],
    tdb,
  )
  expect(Number(seq.rows[0]?.next)).toBeGreaterThan(Number(seq.rows[0]?.max))
  const mv = await pair.target.query<{ n: string; c: string }>(
    `SELECT n::text, (SELECT count(*) FROM nums)::text AS c FROM mv`,
    [],
    tdb,
  )
  expect(mv.rows[0]?.n).toBe(mv.rows[0]?.c)

  // events and result
  const leaves = TABLES.filter((t) => t !== 'events')
  expect(copied.map((e) => e.table.replace(/^public\./, '')).sort()).toEqual([...leaves].sort())
  expect(chunks.filter((c) => c.table === 'public.nums').length).toBeGreaterThan(1)
  expect(progress.at(-1)?.tablesDone).toBe(leaves.length)
  expect(result.tables).toBe(leaves.length)
  expect(result.rows).toBe(
    Object.entries(actual)
      .filter(([t]) => t !== 'events')
      .reduce((a, [, v]) => a + Number(v.split(' ')[0]), 0),
  )
  expect(result.postDataSteps).toBe(5)
  if (type === 'full+incremental') {
    const { databases } = await readLoadProgress(task.store, task.id)
    const info = databases.get(sdb)
    expect(info?.complete).toBe(true)
    expect(result.startLsn[sdb]).toBe(info?.consistentPoint)
    const slot = await pair.source.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_replication_slots WHERE slot_name = $1 AND plugin = 'pgoutput'`,
      [info?.slot],
    )
    expect(slot.rows[0]?.n).toBe('1')
    const pub = await pair.source.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pg_publication WHERE pubname = $1`,
      [info?.publication],
      sdb,
    )
    expect(pub.rows[0]?.n).toBe('1')
  } else {
    expect(result.startLsn).toEqual({})
  }
  expect(task.state).toBe(type === 'full' ? 'completed' : 'running_full_load')
  return { task, sdb, tdb }
}
