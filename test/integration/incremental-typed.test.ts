/**
 * The full load's every-type fixture through the incremental stage, 12 → 17, the hard way: a
 * writer runs throughout; the full load is SIGKILLed mid-copy and resumed (so re-copied tables get
 * a sync LSN from a temporary slot and the stream must skip their changes up to it, the tablesync
 * rule); then the sync runs and complete cuts over. Every value of every type (NaN, ±Infinity,
 * -0, extreme numerics, intervals, ranges, arrays of composites, xml, point under REPLICA IDENTITY
 * FULL) must arrive exactly: the ordered md5 of every table equals the source's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomUUID } from 'node:crypto'
import { openTask } from '../../src/index.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import { prepareDatabases, startWriter } from '../harness/fullload-suite.js'
import { tableDigests } from '../harness/fullload-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 17)
})
afterAll(async () => {
  await pair?.stop()
})

describe('incremental sync of every type after a resumed full load (12 → 17)', () => {
  it('skips what the re-copied tables already hold, applies the rest: equal row by row', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'inc_typed')
    const id = randomUUID()
    const writerClient = await pair.source.client(sdb)
    const writer = startWriter(writerClient)
    const child = spawnTs('test/harness/fullload-child.ts', [
      id,
      'full+incremental',
      pair.source.url(sdb),
      pair.target.url(tdb),
      sdb,
      tdb,
      '2',
    ])
    const exited = new Promise<void>((r) => child.once('exit', () => r()))
    try {
      await waitForLine(child, /FROZEN/, 180_000)
    } finally {
      child.kill('SIGKILL')
      await exited
    }
    const task = await openTask(id, { target: pair.target.url(tdb) })
    try {
      await task.fullLoad()
      const { tables } = await readLoadProgress(task.store, id)
      expect([...tables.values()].some((t) => t.syncLsn !== null)).toBe(true)
      const sync = await task.startIncremental()
      const at = writer.count()
      await writer.waitFor(at + 30)
      await writer.stop()
      const result = await task.complete()
      expect(task.state).toBe('completed')
      await sync.done
      expect(result.slotsDropped).toBe(1)
      expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
    } finally {
      await writer.stop()
      await writerClient.end()
      await task.close()
    }
  }, 240_000)
})
