import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { prepareDatabases, readyForFullLoad } from '../harness/fullload-suite.js'
import { tableDigests } from '../harness/fullload-fixture.js'
import { createTask } from '../../src/index.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 12)
})
afterAll(async () => {
  await pair?.stop()
})

describe('full load into a v12 target', () => {
  it('vacuums each loaded table (v12 autovacuum never visits insert-only tables)', async () => {
    const { sdb, tdb } = await prepareDatabases(pair, 'vac12')
    const task = await createTask({
      name: 'vacuum on 12',
      source: pair.source.config(sdb),
      target: pair.target.config(tdb),
      type: 'full',
      store: 'memory',
      objects: { databases: { [sdb]: { as: tdb } } },
      // split the larger tables, so both kinds of load (COPY FREEZE whole, chunks) are vacuumed
      splitTablesLargerThan: 64 * 1024,
    })
    try {
      await readyForFullLoad(task)
      await task.fullLoad()
    } finally {
      await task.close()
    }
    expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
    const stats = await pair.target.query<{ relname: string; vacuumed: boolean; visible: number }>(
      `SELECT s.relname, s.last_vacuum IS NOT NULL AS vacuumed, c.relallvisible AS visible
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname <> 'pgferry' AND c.relkind = 'r' AND c.relpages > 0`,
      [],
      tdb,
    )
    expect(stats.rows.length).toBeGreaterThan(2)
    for (const r of stats.rows) {
      expect(r.vacuumed, r.relname).toBe(true)
      expect(r.visible, r.relname).toBeGreaterThan(0)
    }
  })
})
