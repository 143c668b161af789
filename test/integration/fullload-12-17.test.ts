import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  equalityUnderWrites,
  prepareDatabases,
  readyForFullLoad,
} from '../harness/fullload-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 17)
})
afterAll(async () => {
  await pair?.stop()
})

describe('full load 12 → 17', () => {
  it('copies every type as of the slot snapshot while the source keeps changing (full+incremental)', async () => {
    const { task, sdb } = await equalityUnderWrites(pair, 'full+incremental')
    await task.delete()
    const left = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
    expect(left.rows).toEqual([])
    expect((await pair.source.query(`SELECT pubname FROM pg_publication`, [], sdb)).rows).toEqual(
      [],
    )
  })

  it('copies every type as of one exported snapshot (full)', async () => {
    const { task } = await equalityUnderWrites(pair, 'full')
    await task.close()
  })

  it('names the sessions whose open transactions block slot creation, and leaves no slot', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'fl_block')
    const blocker = await pair.source.client(sdb)
    await blocker.query(`SET application_name = 'blocker-app'`)
    await blocker.query('BEGIN')
    await blocker.query('INSERT INTO wmark VALUES (42)')
    const pid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]
      ?.pid
    const task = await createTask({
      name: 'blocked slot',
      source: pair.source.config(sdb),
      target: pair.target.config(tdb),
      type: 'full+incremental',
      objects: { databases: { [sdb]: { as: tdb } } },
    })
    try {
      await readyForFullLoad(task)
      const options = { slotTimeoutMs: 1500 }
      const error = await task.fullLoad(options).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).toMatchObject({ code: 'PGFERRY_FULLLOAD_SLOT_BLOCKED' })
      expect((error as Error).message).toContain(`pid ${pid}`)
      expect((error as Error).message).toContain(`'blocker-app'`)
      const slots = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
      expect(slots.rows).toEqual([])
      // nor the publication: it was removed with the failed slot creation
      expect((await pair.source.query(`SELECT pubname FROM pg_publication`, [], sdb)).rows).toEqual(
        [],
      )
    } finally {
      await blocker.query('ROLLBACK')
      await blocker.end()
      await task.delete().catch(() => task.close())
    }
  })

  it('abort while slot creation waits leaves no slot behind, even after the blocker ends', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'fl_abort_slot')
    const blocker = await pair.source.client(sdb)
    await blocker.query('BEGIN')
    await blocker.query('INSERT INTO wmark VALUES (7)')
    const task = await createTask({
      name: 'aborted slot',
      source: pair.source.config(sdb),
      target: pair.target.config(tdb),
      type: 'full+incremental',
      objects: { databases: { [sdb]: { as: tdb } } },
    })
    try {
      await readyForFullLoad(task)
      const ac = new AbortController()
      const load = task.fullLoad({ signal: ac.signal })
      // abort once the walsender is waiting for the blocker
      for (;;) {
        const r = await pair.source.query(
          `SELECT 1 FROM pg_stat_activity WHERE backend_type = 'walsender' AND datname = $1`,
          [sdb],
        )
        if ((r.rowCount ?? 0) > 0) break
        await new Promise((res) => setTimeout(res, 20))
      }
      ac.abort()
      await expect(load).rejects.toMatchObject({ code: 'PGFERRY_ABORTED' })
      await blocker.query('ROLLBACK')
      for (;;) {
        const r = await pair.source.query(
          `SELECT 1 FROM pg_stat_activity WHERE backend_type = 'walsender' AND datname = $1`,
          [sdb],
        )
        if (r.rowCount === 0) break
        await new Promise((res) => setTimeout(res, 20))
      }
      const slots = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
      expect(slots.rows).toEqual([])
      expect((await pair.source.query(`SELECT pubname FROM pg_publication`, [], sdb)).rows).toEqual(
        [],
      )
    } finally {
      await blocker.end()
      await task.close()
    }
  })
})
