import { afterAll, beforeAll, describe, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { typeFidelity } from '../harness/type-fidelity-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('type fidelity 16 → 16', () => {
  it('every built-in type, enum, domain, composite, hstore and citext, and arrays of each, print alike after the full load, the sync and complete', async () => {
    await typeFidelity(pair)
  }, 300_000)
})
