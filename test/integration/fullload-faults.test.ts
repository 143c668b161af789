import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { createTask, openTask, type PgferryEvents } from '../../src/index.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import { prepareDatabases, readyForFullLoad } from '../harness/fullload-suite.js'
import { TABLES, savePlan, tableDigests } from '../harness/fullload-fixture.js'
import {
  holdInserts,
  holdLock,
  terminateBackend,
  waitForLockedBackend,
} from '../harness/held-backend.js'
import type { MigrationType } from '../../src/model/task-config.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(14, 16)
})
afterAll(async () => {
  await pair?.stop()
})

async function killMidLoad(type: MigrationType): Promise<{ id: string; sdb: string; tdb: string }> {
  const { sdb, tdb } = await prepareDatabases(pair, type === 'full' ? 'kill_full' : 'kill_inc')
  const id = randomUUID()
  const child = spawnTs('test/harness/fullload-child.ts', [
    id,
    type,
    pair.source.url(sdb),
    pair.target.url(tdb),
    sdb,
    tdb,
    '2',
  ])
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  // the second committed chunk: the load is under way, with more to do
  await waitForLine(child, /FROZEN/, 180_000).catch((e: unknown) => {
    throw new Error(`${String(e)}\nstderr: ${err}`)
  })
  child.kill('SIGKILL')
  await exited
  return { id, sdb, tdb }
}

describe('full load faults (14 → 16)', () => {
  it('resumes after SIGKILL mid-load: finished chunks kept, no duplicates, equal row by row (full)', async () => {
    const { id, sdb, tdb } = await killMidLoad('full')
    const before = await pair.target.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM pgferry.copy_done WHERE task_id = $1`,
      [id],
      tdb,
    )
    expect(Number(before.rows[0]?.n)).toBeGreaterThanOrEqual(2)
    const task = await openTask(id, { target: pair.target.url(tdb) })
    try {
      expect(task.state).toBe('running_full_load')
      const result = await task.fullLoad()
      expect(result.tables).toBe(TABLES.length - 1)
      expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
      const pk = await pair.target.query(
        `SELECT 1 FROM pg_constraint WHERE conname = 'nums_pkey' AND contype = 'p'`,
        [],
        tdb,
      )
      expect(pk.rowCount).toBe(1)
      expect(task.state).toBe('completed')
    } finally {
      await task.close()
    }
  }, 300_000)

  it('resumes after SIGKILL with a per-table sync LSN from a temporary slot, keeping the first slot (full+incremental)', async () => {
    const { id, sdb, tdb } = await killMidLoad('full+incremental')
    const peek = await openTask(id, { target: pair.target.url(tdb) })
    const first = await readLoadProgress(peek.store, id)
    await peek.close()
    const firstDb = first.databases.get(sdb)
    expect(firstDb?.consistentPoint).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
    const task = await openTask(id, { target: pair.target.url(tdb) })
    const warnings: PgferryEvents['warning'][] = []
    task.on('warning', (w) => warnings.push(w))
    try {
      const result = await task.fullLoad()
      expect(result.startLsn[sdb]).toBe(firstDb?.consistentPoint)
      expect(warnings.map((w) => w.code)).toContain('PGFERRY_FULLLOAD_NEW_SNAPSHOT')
      expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
      const { tables } = await readLoadProgress(task.store, id)
      const synced = [...tables.values()].filter((t) => t.syncLsn !== null)
      expect(synced.length).toBeGreaterThan(0)
      for (const t of synced) {
        expect(t.syncLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
      }
      // partitions of one root share the root's sync point
      const events = [...tables.values()].filter((t) => t.name.startsWith('events'))
      expect(new Set(events.map((t) => t.syncLsn)).size).toBe(1)
      const slots = await pair.source.query<{ slot_name: string }>(
        `SELECT slot_name FROM pg_replication_slots`,
      )
      expect(slots.rows.map((r) => r.slot_name)).toEqual([firstDb?.slot])
      await task.delete()
      // nothing of the task is left on the source
      expect((await pair.source.query(`SELECT 1 FROM pg_replication_slots`)).rowCount).toBe(0)
      expect((await pair.source.query(`SELECT 1 FROM pg_publication`, [], sdb)).rowCount).toBe(0)
    } finally {
      await task.close()
    }
  }, 300_000)

  it('recovers when the source COPY backend and a target COPY backend are terminated mid-chunk', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'term')
    // One lane, so that while it is held on one chunk no other chunk runs: the table locked on the
    // source below is then certainly still to come.
    const task = await createTask({
      name: 'terminated',
      source: pair.source.config(sdb),
      target: pair.target.config(tdb),
      type: 'full',
      objects: { databases: { [sdb]: { as: tdb } } },
      parallelism: 1,
      splitTablesLargerThan: 1_000_000,
    })
    const warnings: PgferryEvents['warning'][] = []
    const copied: string[] = []
    task.on('warning', (w) => warnings.push(w))
    task.on('table:copied', (e) => copied.push(e.table))
    const [watchS, watchT, lockS, lockT] = await Promise.all([
      pair.source.client(sdb),
      pair.target.client(tdb),
      pair.source.client(sdb),
      pair.target.client(tdb),
    ])
    try {
      await readyForFullLoad(task)
      await savePlan(task.store, task.id, pair.source, sdb, tdb)
      // The target COPY into nums waits on this hold with its first row.
      const heldT = await holdInserts(lockT, 'nums')
      const load = task.fullLoad()
      load.catch(() => undefined)
      const targetPid = await waitForLockedBackend(watchT, tdb, 'COPY%FROM STDIN%')
      // Planning is over and the only lane is held: refs (small, so late in the largest-first
      // order) is not copied yet, and its source COPY will wait on this lock.
      expect(copied).not.toContain('public.refs')
      const heldS = await holdLock(lockS, 'refs', 'ACCESS EXCLUSIVE')
      await terminateBackend(watchT, targetPid)
      await heldT.release()
      const sourcePid = await waitForLockedBackend(watchS, sdb, 'COPY%TO STDOUT%')
      await terminateBackend(watchS, sourcePid)
      await heldS.release()
      const result = await load
      expect(result.tables).toBe(TABLES.length - 1)
      const retried = warnings
        .filter((w) => w.code === 'PGFERRY_FULLLOAD_CHUNK_RETRY')
        .map((w) => w.object)
      expect(retried).toEqual(['public.nums', 'public.refs'])
      expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
    } finally {
      await Promise.all([watchS, watchT, lockS, lockT].map((c) => c.end()))
      await task.close()
    }
  }, 300_000)

  it('stops both sides on abort and leaves no half chunk; the next call finishes the load', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'abort')
    const task = await createTask({
      name: 'aborted',
      source: pair.source.config(sdb),
      target: pair.target.config(tdb),
      type: 'full',
      objects: { databases: { [sdb]: { as: tdb } } },
      parallelism: 2,
      splitTablesLargerThan: 1_000_000,
      throttle: { bytesPerSecond: 3_000_000 },
    })
    try {
      await readyForFullLoad(task)
      const ac = new AbortController()
      task.on('chunk:progress', () => ac.abort())
      await expect(task.fullLoad({ signal: ac.signal })).rejects.toMatchObject({
        code: 'PGFERRY_ABORTED',
      })
      expect(task.state).toBe('paused')
      // no COPY left running on either side
      const busy = async (side: 'source' | 'target', db: string): Promise<number> => {
        for (let i = 0; i < 100; i++) {
          const r = await pair[side].query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'COPY%' AND state <> 'idle'`,
            [db],
          )
          if (r.rowCount === 0) return 0
          await new Promise((res) => setTimeout(res, 50))
        }
        return 1
      }
      expect(await busy('source', sdb)).toBe(0)
      expect(await busy('target', tdb)).toBe(0)
      // every row on the target belongs to a committed chunk
      const done = await pair.target.query<{ rows: string }>(
        `SELECT coalesce(sum(rows), 0)::text AS rows FROM pgferry.copy_done WHERE task_id = $1`,
        [task.id],
        tdb,
      )
      let onTarget = 0
      for (const t of TABLES.filter((x) => x !== 'events')) {
        const r = await pair.target.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${t}`,
          [],
          tdb,
        )
        onTarget += Number(r.rows[0]?.n)
      }
      expect(onTarget).toBe(Number(done.rows[0]?.rows))
      await task.fullLoad()
      expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
    } finally {
      await task.close()
    }
  })
})
