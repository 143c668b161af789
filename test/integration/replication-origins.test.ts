/**
 * Replication origins on the target (issue 10): the apply keeps one per source database, and each
 * one with progress takes a replication state slot, of which there are `max_replication_slots`
 * (`max_active_replication_origins` from v18) and which other origins may already hold. A target
 * without a free one fails `target.replication-origins` in the precheck, and, when the precheck
 * was skipped, the sync with PGFERRY_APPLY_ORIGINS_EXHAUSTED and the setting as the fix; once a
 * state is free both pass and the task migrates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask, type PgferryError } from '../../src/index.js'
import { startCluster, type Cluster } from '../harness/cluster.js'
import { INCREMENTAL_SCHEMA, digests, leftovers } from '../harness/incremental-fixture.js'
import { applyFixes, item, runPrecheck } from './precheck-helpers.js'

let source: Cluster
let target: Cluster
beforeAll(async () => {
  ;[source, target] = await Promise.all([
    startCluster({ major: 16 }),
    startCluster({ major: 16, settings: { max_replication_slots: 1 } }),
  ])
})
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()])
})

describe('replication origins on the target (16 → 16)', () => {
  it('no free origin: the precheck fails and the sync stops with the setting as the fix; after it, the task migrates', async () => {
    const db = await source.createDatabase('origins')
    await source.query(INCREMENTAL_SCHEMA, [], db)
    // another subscriber's origin holds the only replication state slot
    await target.query(
      `SELECT pg_replication_origin_create('someone_else');
       SELECT pg_replication_origin_advance('someone_else', '0/1000')`,
    )
    const task = await createTask({
      name: 'origins',
      source: source.config(db),
      target: target.config('postgres'),
      type: 'full+incremental',
      objects: { databases: { [db]: true } },
    })
    try {
      const report = await task.precheck()
      const origins = item(report, 'target.replication-origins')
      expect(origins.status).toBe('fail')
      expect(origins.message).toMatch(/max_replication_slots = 1/)
      expect(origins.fixes).toEqual([
        { side: 'target', sql: 'ALTER SYSTEM SET max_replication_slots = 2;', restart: true },
      ])
      await task.precheck({ skip: ['target.replication-origins'] })
      await task.migrateSchema()
      await task.fullLoad()
      const error = (await task.startIncremental().catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_APPLY_ORIGINS_EXHAUSTED')
      expect(error.fix).toContain('ALTER SYSTEM SET max_replication_slots = 2;')

      expect(error.fix).toContain('pg_replication_origin_drop')
      // the harness passes settings on the command line, where ALTER SYSTEM cannot override them:
      // free a state the other way the fix names, by dropping the origin no longer used
      await target.query(`SELECT pg_replication_origin_drop('someone_else')`)
      const again = await task.precheck()
      expect(again.items.filter((i) => i.status === 'fail')).toEqual([])
      // after data is written a precheck is a report: the task stays where its sync failed
      expect(await task.refresh()).toBe('failed')
      await task.startIncremental()
      await source.query(`INSERT INTO keyed VALUES (-1, 'after', 'x')`, [], db)
      await task.complete()
      expect(await digests(target, db)).toEqual(await digests(source, db))
      expect(await leftovers({ source, target, stop: () => Promise.resolve() }, db)).toEqual([])
    } finally {
      await task.close()
    }
  }, 240_000)

  it('a target user granted the origin functions but not their status view: a warning with the GRANT', async () => {
    const db = await source.createDatabase('origins_user')
    await source.query(`CREATE TABLE t (id int PRIMARY KEY)`, [], db)
    await target.query(
      `CREATE ROLE origin_user LOGIN;
       GRANT EXECUTE ON FUNCTION pg_replication_origin_create(text) TO origin_user`,
    )
    const config = {
      source: source.config(db) as { host: string; port: number; user: string; database: string },
      target: { ...target.config('postgres'), user: 'origin_user' },
      type: 'full+incremental' as const,
    }
    const origins = item(await runPrecheck(config), 'target.replication-origins')
    expect(origins.status).toBe('warn')
    expect(origins.fix).toContain('GRANT SELECT ON pg_replication_origin_status TO "origin_user";')
    await applyFixes(origins, { source, target })
    expect(item(await runPrecheck(config), 'target.replication-origins').status).toBe('pass')
  })
})
