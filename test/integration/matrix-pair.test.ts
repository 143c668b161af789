/**
 * One source → target pair of the version matrix (`npm run test:matrix`, test/matrix/run-matrix.ts),
 * named by PGFERRY_PAIR=<source>-<target>: the structure suite, the full load under writes, the
 * incremental end-to-end scenario and type fidelity. Each top-level describe is one column of the
 * matrix table (the runner reads the first title of each test's path).
 * Skipped without PGFERRY_PAIR, so `npm test` stays on its two default pairs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAJORS, startCluster, type ClusterPair, type Major } from '../harness/cluster.js'
import { equalityUnderWrites } from '../harness/fullload-suite.js'
import { endToEnd } from '../harness/incremental-suite.js'
import { schemaSuite } from '../fixtures/schema/schema-suite.js'
import { typeFidelity } from '../harness/type-fidelity-suite.js'

const named = /^(\d+)-(\d+)$/.exec(process.env.PGFERRY_PAIR ?? '')
const isMajor = (n: number): n is Major => (MAJORS as readonly number[]).includes(n)
const s = Number(named?.[1])
const t = Number(named?.[2])

if (named === null) {
  describe.skip('version matrix pair (PGFERRY_PAIR=<source>-<target>)', () => {
    it('runs under npm run test:matrix', () => undefined)
  })
} else if (!isMajor(s) || !isMajor(t)) {
  throw new Error(
    `PGFERRY_PAIR=${process.env.PGFERRY_PAIR}: majors must be among ${MAJORS.join(', ')}`,
  )
} else {
  describe('structure', () => {
    schemaSuite(s, t)
  })

  /**
   * A fresh pair for each column below (about 2 s): what one column leaves behind when it fails
   * (a slot, a publication) cannot fail the next one.
   */
  const freshPair = (): (() => ClusterPair) => {
    let pair: ClusterPair | undefined
    beforeAll(async () => {
      // a small logical_decoding_work_mem makes the big transaction stream (v14+) or spill (v13);
      // v12 has no such setting and spills over 4096 changes
      const small = { logical_decoding_work_mem: '64kB' }
      const [source, target] = await Promise.all([
        startCluster({ major: s, ...(s >= 13 ? { settings: small } : {}) }),
        startCluster({ major: t, ...(t >= 13 ? { settings: small } : {}) }),
      ])
      pair = {
        source,
        target,
        stop: async () => void (await Promise.all([source.stop(), target.stop()])),
      }
    }, 120_000)
    afterAll(async () => {
      await pair?.stop()
    })
    return () => {
      if (pair === undefined) throw new Error('the clusters did not start')
      return pair
    }
  }

  describe('full load', () => {
    const dataPair = freshPair()
    it('every type as of the slot snapshot while the source keeps changing', async () => {
      const pair = dataPair()
      const { task } = await equalityUnderWrites(pair, 'full+incremental')
      await task.delete()
      const left = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
      expect(left.rows).toEqual([])
    }, 300_000)
  })

  describe('incremental', () => {
    const dataPair = freshPair()
    it('every DML kind during the load and the sync, a big transaction, then complete', async () => {
      await endToEnd(dataPair())
    }, 600_000)
  })

  describe('types', () => {
    const dataPair = freshPair()
    it('every type and its array through the full load, the sync and complete', async () => {
      await typeFidelity(dataPair())
    }, 300_000)
  })
}
