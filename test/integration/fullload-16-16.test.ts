import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { equalityUnderWrites } from '../harness/fullload-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('full load 16 → 16', () => {
  it('copies every type as of one snapshot while the source keeps changing (full)', async () => {
    const { task } = await equalityUnderWrites(pair, 'full')
    await task.close()
  })

  it('creates a slot with an exported snapshot and copies as of its consistent point (full+incremental)', async () => {
    const { task } = await equalityUnderWrites(pair, 'full+incremental')
    await task.delete()
    const left = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
    expect(left.rows).toEqual([])
  })
})
