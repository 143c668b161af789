/**
 * Apply progress on a real target (16): recorded in the same transaction as the changes — a
 * rolled-back apply transaction records nothing, a committed one its end LSN — through a
 * replication origin for a superuser, through `pgferry.apply_progress` for a user the origin
 * functions refuse; dropping it twice is harmless.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { startCluster, type Cluster } from '../harness/cluster.js'
import { ApplyProgress, dropApplyProgress, originName } from '../../src/apply/apply-progress.js'
import { ledgerOf } from '../../src/model/target-ledger.js'

/** The ledger of a task whose store names no schema: `pgferry`. */
const LEDGER = ledgerOf(undefined)

let target: Cluster
beforeAll(async () => {
  target = await startCluster({ major: 16 })
  await target.query(`CREATE ROLE applier LOGIN`)
})
afterAll(async () => {
  await target?.stop()
})

async function client(db: string, user?: string): Promise<pg.Client> {
  const c = new pg.Client({ ...target.config(db), ...(user !== undefined ? { user } : {}) })
  c.on('error', () => undefined)
  await c.connect()
  return c
}

async function roundTrip(
  c: pg.Client,
  taskId: string,
  expected: 'origin' | 'table',
): Promise<void> {
  const reasons: string[] = []
  const progress = await ApplyProgress.open(c, LEDGER, taskId, 'srcdb', (r) => reasons.push(r))
  expect(progress.mode).toBe(expected)
  expect(reasons.length).toBe(expected === 'table' ? 1 : 0)
  expect(await progress.read()).toBe(0n)
  // an origin's progress rides on the commit record, which only a transaction that wrote has
  await c.query(`CREATE TABLE scratch (i int UNIQUE DEFERRABLE INITIALLY DEFERRED)`)
  await c.query('BEGIN')
  await c.query(`INSERT INTO scratch VALUES (1)`)
  await c.query('ROLLBACK')
  expect(await progress.read()).toBe(0n)
  await c.query('BEGIN')
  await c.query(`INSERT INTO scratch VALUES (2)`)
  await progress.commit(0x1_0000_0200n, 2_000_000n)
  expect(await progress.read()).toBe(0x1_0000_0200n)
  // a transaction whose commit fails (a deferred unique check): the position is not taken, and
  // restore() puts back whatever an abort record carried
  await c.query('BEGIN')
  await c.query(`INSERT INTO scratch VALUES (3), (3)`)
  await expect(progress.commit(0x1_0000_0300n, 3_000_000n)).rejects.toThrow(/duplicate key/)
  await c.query('ROLLBACK')
  await progress.restore(0x1_0000_0200n)
  expect(await progress.read()).toBe(0x1_0000_0200n)
  await c.query('BEGIN')
  await c.query(`INSERT INTO scratch VALUES (4)`)
  await progress.commit(0x1_0000_0400n, 4_000_000n)
  expect(await progress.read()).toBe(0x1_0000_0400n)
  expect((await c.query(`SELECT i FROM scratch ORDER BY i`)).rows).toEqual([{ i: 2 }, { i: 4 }])
  await progress.release()
}

describe('apply progress (16)', () => {
  it('a superuser records through a replication origin, atomically with the transaction', async () => {
    const db = await target.createDatabase('origin')
    const c = await client(db)
    try {
      await roundTrip(c, 'task-origin', 'origin')
      const r = await target.query<{ lsn: string }>(
        `SELECT remote_lsn::text AS lsn FROM pg_replication_origin_status s JOIN pg_replication_origin o ON o.roident = s.local_id WHERE o.roname = $1`,
        [originName('task-origin', 'srcdb')],
      )
      expect(r.rows[0]?.lsn).toBe('1/400')
      expect(await dropApplyProgress(c, LEDGER, 'task-origin', 'srcdb')).toBe(true)
      expect(await dropApplyProgress(c, LEDGER, 'task-origin', 'srcdb')).toBe(false)
      expect((await target.query(`SELECT roname FROM pg_replication_origin`)).rows).toEqual([])
    } finally {
      await c.end()
    }
  })

  it('a user without the origin functions records in pgferry.apply_progress, atomically too', async () => {
    const db = await target.createDatabase('table')
    await target.query(`ALTER DATABASE "${db}" OWNER TO applier`)
    const c = await client(db, 'applier')
    try {
      await roundTrip(c, 'task-table', 'table')
      const r = await target.query<{ end_lsn: string }>(
        `SELECT end_lsn::text FROM pgferry.apply_progress WHERE task_id = 'task-table'`,
        [],
        db,
      )
      expect(r.rows).toEqual([{ end_lsn: '1/400' }])
      await dropApplyProgress(c, LEDGER, 'task-table', 'srcdb')
      await dropApplyProgress(c, LEDGER, 'task-table', 'srcdb')
      expect((await target.query(`SELECT * FROM pgferry.apply_progress`, [], db)).rows).toEqual([])
    } finally {
      await c.end()
    }
  })
})
