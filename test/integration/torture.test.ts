/**
 * The torture loop of issue 10, three seeds of it (`npm run test:torture SEEDS=N` runs more): each
 * kills a pgferry process at a seeded point (a chunk copy, an apply batch, the cutover) while the
 * source keeps changing, resumes, completes, and the target must equal the source row by row,
 * sequences included. The oracle is checked first on known differences, so a pass means equal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { diffSequences, diffTable } from '../harness/row-diff.js'
import { formatSeed, killPlan, runSeed } from '../harness/torture-seed.js'
import { seededRandom } from '../harness/seeded-random.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('torture: SIGKILL at a random point, resume, equal row by row (16 → 16)', () => {
  it('the oracle counts lost, doubled and changed rows per key, and differing sequences', async () => {
    const sdb = await pair.source.createDatabase('oracle')
    const tdb = await pair.target.createDatabase('oracle_t')
    const ddl = `CREATE TABLE keyed (id int PRIMARY KEY, v text); CREATE TABLE bag (a int); CREATE SEQUENCE s;`
    await pair.source.query(
      `${ddl} INSERT INTO keyed VALUES (1, 'a'), (2, 'b'), (3, 'c'); INSERT INTO bag VALUES (1), (1), (2); SELECT setval('s', 5);`,
      [],
      sdb,
    )
    await pair.target.query(
      `${ddl} INSERT INTO keyed VALUES (1, 'a'), (2, 'x'), (4, 'd'); INSERT INTO bag VALUES (1), (2), (2), (3); SELECT setval('s', 5, false);`,
      [],
      tdb,
    )
    const keyed = await diffTable(pair.source, sdb, pair.target, tdb, { name: 'keyed', key: 'id' })
    expect(keyed).toMatchObject({ lost: 1, doubled: 1, changed: 1 })
    const bag = await diffTable(pair.source, sdb, pair.target, tdb, { name: 'bag', key: null })
    expect(bag).toMatchObject({ lost: 1, doubled: 2, changed: 0 })
    await pair.target.query(`DELETE FROM bag; INSERT INTO bag VALUES (2), (1), (1)`, [], tdb)
    expect(
      await diffTable(pair.source, sdb, pair.target, tdb, { name: 'bag', key: null }),
    ).toBeUndefined()
    expect(await diffSequences(pair.source, sdb, pair.target, tdb, ['s'])).toEqual([
      { sequence: 's', source: '5 called', target: '5' },
    ])
  })

  // seeds 1–3 kill in a chunk copy, an apply batch and the cutover (KILL_STAGES' order)
  it.each([1, 2, 3])(
    'seed %i: nothing lost, doubled or changed; sequences equal; nothing left on the source',
    async (seed) => {
      expect(['chunk', 'apply', 'complete']).toContain(killPlan(seed, seededRandom(seed)).stage)
      const r = await runSeed(pair, seed, { waitMs: 100_000 })
      const report = formatSeed(r)
      expect(
        { lost: r.lost, doubled: r.doubled, changed: r.changed, error: r.error },
        report,
      ).toEqual({ lost: 0, doubled: 0, changed: 0, error: undefined })
      expect(r.sequences, report).toEqual([])
      expect(r.killAt, report).not.toBe('not reached')
      expect(r.writerSteps).toBeGreaterThan(0)
    },
    150_000,
  )
})
