/**
 * Slot hygiene on 16 → 16 with `max_slot_wal_keep_size` set: `sync.lag()` and `wal:retained`
 * report the WAL the task's slot holds back (checked against pg_replication_slots), a warning
 * comes above the threshold, and a slot PostgreSQL invalidated (`wal_status = 'lost'`) is a clear
 * error saying the task must load again — when the sync starts, and when it is lost while the
 * sync runs. Nothing of the task is left on the source afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import type { PgferryError, PgferryEvents } from '../../src/index.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import type { Task } from '../../src/task/task.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  eventually,
  leftovers,
  loadedTask,
} from '../harness/incremental-fixture.js'

const KEEP_MB = 64
let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16, { max_slot_wal_keep_size: `${KEEP_MB}MB` })
})
afterAll(async () => {
  await pair?.stop()
})

async function incrementalDatabase(prefix: string): Promise<string> {
  const db = await pair.source.createDatabase(prefix)
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  return db
}

async function slotOf(task: Task, db: string): Promise<string> {
  const slot = (await readLoadProgress(task.store, task.id)).databases.get(db)?.slot
  if (slot == null) throw new Error('no slot recorded')
  return slot
}

async function lsn(): Promise<string> {
  return (await pair.source.query<{ l: string }>(`SELECT pg_current_wal_lsn()::text AS l`)).rows[0]
    ?.l as string
}

async function bytesBetween(to: string, from: string): Promise<bigint> {
  const r = await pair.source.query<{ d: string }>(
    `SELECT ($1::pg_lsn - $2::pg_lsn)::int8::text AS d`,
    [to, from],
  )
  return BigInt(r.rows[0]?.d ?? '0')
}

/** At least one more WAL segment written on the source (an insert, then a segment switch). */
async function writeWal(): Promise<void> {
  await pair.source.query(
    `CREATE TABLE IF NOT EXISTS filler (x text);
     INSERT INTO filler SELECT repeat('x', 1000) FROM generate_series(1, 1000);
     SELECT pg_switch_wal();`,
  )
}

/** A transaction that wrote WAL and stays open: a logical slot's restart_lsn cannot pass it. */
async function holdRestartLsn(db: string): Promise<pg.Client> {
  const c = await pair.source.client(db)
  await c.query(`BEGIN; INSERT INTO keyed VALUES (-1, 'held', 'x')`)
  return c
}

/** WAL and checkpoints until PostgreSQL invalidates `slot`. */
async function untilLost(slot: string): Promise<void> {
  await eventually(async () => {
    await writeWal()
    await pair.source.query('CHECKPOINT')
    const r = await pair.source.query<{ s: string }>(
      `SELECT wal_status AS s FROM pg_replication_slots WHERE slot_name = $1`,
      [slot],
    )
    return r.rows[0]?.s === 'lost'
  }, 120_000)
}

describe('slot hygiene (16 → 16, max_slot_wal_keep_size)', () => {
  it('sync.lag() and wal:retained report the WAL the slot holds back; a warning above the threshold', async () => {
    const db = await incrementalDatabase('retained')
    const task = await loadedTask(pair, db)
    const slot = await slotOf(task, db)
    const retained: PgferryEvents['wal:retained'][] = []
    const warnings: PgferryEvents['warning'][] = []
    task.on('wal:retained', (e) => retained.push(e))
    task.on('warning', (e) => warnings.push(e))
    const holder = await holdRestartLsn(db)
    try {
      const held = await lsn()
      const restart0 = (
        await pair.source.query<{ r: string }>(
          `SELECT restart_lsn::text AS r FROM pg_replication_slots WHERE slot_name = $1`,
          [slot],
        )
      ).rows[0]?.r as string
      await writeWal()
      await writeWal()
      const current0 = await lsn()
      const sync = await task.startIncremental({
        lagIntervalMs: 200,
        walRetainedWarnBytes: 8 * 1024 * 1024,
      })
      const [sample] = await sync.lag()
      const current2 = await lsn()
      // restart_lsn stays between its value before the sync and the open transaction's start
      expect(sample?.retainedBytes).toBeGreaterThanOrEqual(await bytesBetween(current0, held))
      expect(sample?.retainedBytes).toBeLessThanOrEqual(await bytesBetween(current2, restart0))
      await eventually(async () =>
        warnings.some((w) => w.code === 'PGFERRY_WAL_RETAINED_HIGH' && w.message.includes(slot)),
      )
      const e = retained.at(-1)
      expect(e?.slot).toBe(slot)
      expect(e?.database).toBe(db)
      expect(e?.thresholdBytes).toBe(8 * 1024 * 1024)
      expect(e?.retainedBytes).toBeGreaterThanOrEqual(Number(await bytesBetween(current0, held)))
      expect(['reserved', 'extended', 'unreserved']).toContain(e?.walStatus)
      expect(e?.safeWalSize).toBeDefined()
      // warned once, not at every sample
      await eventually(async () => retained.length >= 3)
      expect(warnings.filter((w) => w.code === 'PGFERRY_WAL_RETAINED_HIGH')).toHaveLength(1)
      await holder.query('ROLLBACK')
      await task.complete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await holder.end()
      await task.close()
    }
  }, 180_000)

  it('the default threshold is 10 % of max_slot_wal_keep_size', async () => {
    const db = await incrementalDatabase('threshold')
    const task = await loadedTask(pair, db)
    const retained: PgferryEvents['wal:retained'][] = []
    task.on('wal:retained', (e) => retained.push(e))
    try {
      await task.startIncremental({ lagIntervalMs: 100 })
      await eventually(async () => retained.length > 0)
      expect(retained[0]?.thresholdBytes).toBe(Number((BigInt(KEEP_MB) * 1024n * 1024n) / 10n))
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 120_000)

  it('a slot invalidated while the task was paused: startIncremental fails with PGFERRY_WAL_SLOT_LOST', async () => {
    const db = await incrementalDatabase('lost')
    const task = await loadedTask(pair, db)
    try {
      const slot = await slotOf(task, db)
      await untilLost(slot)
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = (await task.startIncremental().catch((e: unknown) => e)) as PgferryError
        expect(error.code).toBe('PGFERRY_WAL_SLOT_LOST')
        expect(error.message).toContain(slot)
        expect(error.message).toContain('the task must load again')
      }
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 180_000)

  it('a slot invalidated while the sync runs: the sync ends with PGFERRY_WAL_SLOT_LOST', async () => {
    const db = await incrementalDatabase('lostlive')
    const task = await loadedTask(pair, db)
    const holder = await holdRestartLsn(db)
    try {
      const slot = await slotOf(task, db)
      const sync = await task.startIncremental({ lagIntervalMs: 200 })
      await untilLost(slot)
      const error = (await sync.done.catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_WAL_SLOT_LOST')
      expect(error.message).toContain('the task must load again')
      expect(await task.refresh()).toBe('failed')
      await holder.query('ROLLBACK')
      await task.delete()
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await holder.end()
      await task.close()
    }
  }, 180_000)
})
