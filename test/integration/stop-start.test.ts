/**
 * `sync.stop()` followed at once by `startIncremental()`, many times in a row, with writes between:
 * every restart succeeds (no PGFERRY_TASK_BUSY blaming "another process" that was this one), and
 * the target ends equal to the source (issue 10 item 11).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PgferryEvents } from '../../src/model/events.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
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

describe('stop then start at once (16 → 16)', () => {
  it('ten stop/startIncremental in a row: each start succeeds, no error event, equal after complete', async () => {
    const db = await pair.source.createDatabase('stopstart')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    const errors: PgferryEvents['error'][] = []
    task.on('error', (e) => errors.push(e))
    // each start's stream must not leave a listener on a signal the next start shares (Node warns
    // at the 11th: MaxListenersExceededWarning)
    const leaks: string[] = []
    const onWarning = (w: Error): void => {
      if (w.name === 'MaxListenersExceededWarning') leaks.push(w.message)
    }
    process.on('warning', onWarning)
    const c = await pair.source.client(db)
    try {
      let step = 0
      let sync = await task.startIncremental()
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 3; i++) await writeStep(c, ++step)
        await sync.stop()
        sync = await task.startIncremental()
      }
      for (let i = 0; i < 3; i++) await writeStep(c, ++step)
      await task.complete()
      expect(errors.map((e) => e.error.message)).toEqual([])
      expect(task.state).toBe('completed')
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(leaks).toEqual([])
    } finally {
      process.off('warning', onWarning)
      await c.end()
      await task.close()
    }
  }, 240_000)

  it('a stream that failed (walsender terminated), then stop() and startIncremental() at once, five times: each start succeeds', async () => {
    const db = await pair.source.createDatabase('stopfail')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      let step = 0
      let sync = await task.startIncremental()
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 3; i++) await writeStep(c, ++step)
        await pair.source.query(
          `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE active_pid IS NOT NULL`,
        )
        // the stream's end is a failure this process reports (error event, state 'failed'): stop()
        // says so, and must not return before that report is written
        await sync.stop().catch(() => undefined)
        sync = await task.startIncremental()
      }
      for (let i = 0; i < 3; i++) await writeStep(c, ++step)
      await task.complete()
      expect(task.state).toBe('completed')
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
    } finally {
      await c.end()
      await task.close()
    }
  }, 240_000)
})
