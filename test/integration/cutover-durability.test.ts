/**
 * What the cutover and the acknowledgements must cover when WAL is not flushed at once (16 → 16).
 * Both servers run with `wal_writer_delay = 10s`, so an asynchronous commit sits in WAL buffers
 * for seconds: the cutover fence must still cover it (issue 10 item 4), and the source must be
 * confirmed only what the target has flushed (item 5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTask } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { eventually, loadedTask, tableDigest } from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16, { wal_writer_delay: '10s' })
})
afterAll(async () => {
  await pair?.stop()
})

describe('cutover fence and acknowledged durability (16 → 16, wal_writer_delay 10 s)', () => {
  it('an asynchronous commit just before complete is applied before the slot is dropped', async () => {
    const db = await pair.source.createDatabase('asyncfence')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t VALUES (1, 0)`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      await task.startIncremental()
      // committed, but its WAL is neither written nor flushed until the WAL writer's next round
      await c.query(`SET synchronous_commit = off`)
      await c.query(`UPDATE t SET v = 1`)
      await task.complete()
      const target = await pair.target.query(`SELECT id, v FROM t ORDER BY id`, [], db)
      expect(target.rows).toEqual([{ id: 1, v: 1 }])
    } finally {
      await c.end()
      await task.close()
    }
  }, 120_000)

  it('the source is confirmed only what the target flushed: a target crash after the acknowledgement loses nothing', async () => {
    const db = await pair.source.createDatabase('targetcrash')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const id = task.id
    // every new target session, the apply's included, commits asynchronously unless told otherwise
    await pair.target.query(`ALTER ROLE postgres SET synchronous_commit = off`)
    const c = await pair.source.client(db)
    try {
      await task.startIncremental({ lagIntervalMs: 200 })
      for (let i = 1; i <= 20; i++) {
        await c.query(`INSERT INTO t VALUES ($1::int + 1000, 'new')`, [i])
        await c.query(`UPDATE t SET v = v || '!' WHERE id = $1`, [i])
      }
      await c.query(`DELETE FROM t WHERE id BETWEEN 50 AND 59`)
      const written = (await c.query<{ l: string }>(`SELECT pg_current_wal_lsn()::text AS l`))
        .rows[0]?.l
      // the source has been told that the target holds all of it: crash the target at once
      await eventually(
        async () =>
          (
            await pair.source.query(
              `SELECT 1 FROM pg_replication_slots WHERE database = $1 AND confirmed_flush_lsn >= $2::pg_lsn`,
              [db, written],
            )
          ).rowCount === 1,
      )
      await pair.target.restart({ immediate: true })
      await task.close()
      await pair.target.query(`ALTER ROLE postgres RESET synchronous_commit`)
      const resumed = await openTask(id, { target: pair.target.url('postgres') })
      try {
        await resumed.complete()
      } finally {
        await resumed.close()
      }
      expect(await tableDigest(pair.target, db, 't')).toBe(await tableDigest(pair.source, db, 't'))
    } finally {
      await c.end()
      await task.close()
      await pair.target.query(`ALTER ROLE postgres RESET synchronous_commit`)
    }
  }, 180_000)
})
