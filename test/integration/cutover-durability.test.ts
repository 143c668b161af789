/**
 * What the cutover and the acknowledgements must cover when WAL is not flushed at once (16 → 16).
 * Both servers run with `wal_writer_delay = 10s`, so an asynchronous commit sits in WAL buffers
 * for seconds: the cutover fence must still cover it (issue 10 item 4), and the source must be
 * confirmed only what the target has flushed (item 5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { loadedTask } from '../harness/incremental-fixture.js'

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
})
