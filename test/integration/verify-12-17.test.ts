/**
 * verify() from the oldest supported source to a newer target (issue 13): the shared checks of
 * ../harness/verify-suite.ts, where the canonical row text must hash alike across majors (a float,
 * NaN and -0, bytea, json, timestamptz and numeric printed by v12 and by v17).
 */
import { afterAll, beforeAll, describe, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { verifyDifferences, verifyDuringSync } from '../harness/verify-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 17)
})
afterAll(async () => {
  await pair?.stop()
})

describe('verify (12 → 17)', () => {
  it('equal data passes; every difference made on the target is found and named by its key', async () => {
    await verifyDifferences(pair)
  }, 180_000)

  it('during sync with a steady writer: no false alarm; rows changed on the target behind its back are found, exactly', async () => {
    await verifyDuringSync(pair)
  }, 600_000)
})
