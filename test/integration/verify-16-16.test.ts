/**
 * verify() on 16 → 16: the shared checks (../harness/verify-suite.ts: every kind of difference
 * found and named by its key; no false alarm during sync), and what does not depend on the version
 * pair: renamed database and schema, and complete's check by default.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PgferryError } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  leftovers,
  loadedTask,
  writeStep,
} from '../harness/incremental-fixture.js'
import { named, verifyDifferences, verifyDuringSync } from '../harness/verify-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('verify (16 → 16)', () => {
  it('equal data passes; every difference made on the target is found and named by its key', async () => {
    await verifyDifferences(pair)
  }, 180_000)

  it('a renamed database and schema are compared under their target names', async () => {
    const db = await pair.source.createDatabase('verifyren')
    const tdb = `${db}_t`
    await pair.source.query(
      `CREATE SCHEMA app; SET search_path = app; ${INCREMENTAL_SCHEMA}`,
      [],
      db,
    )
    const task = await loadedTask(pair, db, {
      objects: { databases: { [db]: { as: tdb, schemas: { app: { as: 'moved' } } } } },
    })
    try {
      const equal = await task.verify({ chunkRows: 50 })
      expect(equal.equal).toBe(true)
      expect(equal.tables.find((t) => t.table === 'app.keyed')?.targetTable).toBe(
        `${tdb}.moved.keyed`,
      )
      await pair.target.query(`UPDATE moved.keyed SET v = 'changed' WHERE k1 = 42`, [], tdb)
      expect(named(await task.verify({ chunkRows: 50 }))).toEqual([
        'app.keyed changed {"k1":"42","k2":"k42"}',
      ])
    } finally {
      await task.delete()
    }
  }, 120_000)

  it('complete verifies every row by default: a row changed on the target fails it naming the key, the slot stays; fixed, complete succeeds', async () => {
    const db = await pair.source.createDatabase('verifycomplete')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    const c = await pair.source.client(db)
    try {
      await task.startIncremental()
      for (let i = 1; i <= 5; i++) await writeStep(c, i)
      // the same row count on both sides: only a row-by-row check sees it
      await pair.target.query(`UPDATE parent SET v = 'behind its back' WHERE id = 42`, [], db)
      const bad = (await task
        .complete({ verify: 'bogus' as 'none' })
        .catch((e: unknown) => e)) as PgferryError
      expect(bad.code).toBe('PGFERRY_OPTIONS_INVALID')
      const error = (await task.complete().catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_VERIFY_MISMATCH')
      expect(error.message).toContain('public.parent')
      expect(error.message).toContain('changed id=42')
      expect(task.state).toBe('failed')
      expect(
        (await pair.source.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1`, [db]))
          .rowCount,
      ).toBe(1)

      const v = await pair.source.query<{ v: string }>(`SELECT v FROM parent WHERE id = 42`, [], db)
      await pair.target.query(`UPDATE parent SET v = $1 WHERE id = 42`, [v.rows[0]?.v], db)
      const result = await task.complete()
      expect(task.state).toBe('completed')
      expect(result.tablesVerified).toBe(9)
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('during sync with a steady writer: no false alarm; rows changed on the target behind its back are found, exactly', async () => {
    await verifyDuringSync(pair)
  }, 600_000)
})
