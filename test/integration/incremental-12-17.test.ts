import { afterAll, beforeAll, describe, it } from 'vitest'
import { startCluster, type ClusterPair } from '../harness/cluster.js'
import { endToEnd } from '../harness/incremental-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  // v12 has no logical_decoding_work_mem: a transaction over 4096 changes spills to disk there
  const [source, target] = await Promise.all([
    startCluster({ major: 12 }),
    startCluster({ major: 17, settings: { logical_decoding_work_mem: '64kB' } }),
  ])
  pair = {
    source,
    target,
    stop: async () => void (await Promise.all([source.stop(), target.stop()])),
  }
})
afterAll(async () => {
  await pair?.stop()
})

describe('incremental sync and complete, 12 → 17', () => {
  it('every DML kind, writes during the load and the sync, big spilled transaction, then complete: equal row by row', async () => {
    await endToEnd(pair)
  }, 180_000)
})
