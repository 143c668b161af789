import { afterAll, beforeAll, describe, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { endToEnd } from '../harness/incremental-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16, { logical_decoding_work_mem: '64kB' })
})
afterAll(async () => {
  await pair?.stop()
})

describe('incremental sync and complete, 16 → 16', () => {
  it('every DML kind, writes during the load and the sync, big streamed transaction, then complete: equal row by row', async () => {
    await endToEnd(pair)
  }, 180_000)
})
