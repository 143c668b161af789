/**
 * A resumed `full+incremental` load must not re-apply rows it already copied (issue 10 item 3).
 * A table re-copied by a resumed run carries the sync LSN of the snapshot it was copied under: the
 * incremental stage skips its changes committed before it. The sequence from the issue, made
 * deterministic with a target-side CHECK that refuses one table's rows at a time:
 *
 * - run 1 fails on `parts_eu` (the slot's snapshot; nothing of `parts` is complete);
 * - the source inserts (batch 1);
 * - run 2 re-copies `parts`, `kparts` and `klog` under a newer snapshot, then fails on
 *   `zz_blocker` (the smallest table, copied last by one lane): the partitioned roots' sync LSN
 *   was written only once every chunk of a run succeeded, so it was lost here;
 * - the process "dies" between `klog`'s last COMMIT and the store write (its store entry removed);
 * - the source inserts (batch 2); run 3 succeeds; the source inserts (batch 3);
 * - the incremental stage then must not hit `duplicate key … parts_eu_pkey` nor double the keyless
 *   tables' rows: compared row by row with SQL after `complete`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { tableDigest } from '../harness/incremental-fixture.js'
import { passPrecheck } from '../harness/pass-precheck.js'
import { createTask } from '../../src/index.js'
import { LOADED_TABLE_KIND, loadedTableKey } from '../../src/fullload/load-progress.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

const SCHEMA = `
CREATE TABLE parts (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu');
CREATE TABLE parts_us PARTITION OF parts FOR VALUES IN ('us');
CREATE TABLE kparts (id int, region text, v text) PARTITION BY LIST (region);
CREATE TABLE kparts_eu PARTITION OF kparts FOR VALUES IN ('eu');
CREATE TABLE kparts_us PARTITION OF kparts FOR VALUES IN ('us');
CREATE TABLE klog (id int, v text);
CREATE TABLE items (id int PRIMARY KEY, v text);
CREATE TABLE zz_blocker (id int);
INSERT INTO zz_blocker VALUES (1);
-- keyless tables are published only with a replica identity (the application's UPDATE must work)
ALTER TABLE kparts_eu REPLICA IDENTITY FULL;
ALTER TABLE kparts_us REPLICA IDENTITY FULL;
ALTER TABLE klog REPLICA IDENTITY FULL;
ALTER TABLE zz_blocker REPLICA IDENTITY FULL;
`
const TABLES = [
  'parts',
  'parts_eu',
  'parts_us',
  'kparts',
  'kparts_eu',
  'kparts_us',
  'klog',
  'items',
  'zz_blocker',
] as const

/** Rows `batch*1000 + 1 … batch*1000 + 40` in every table but the blocker. */
function insertBatch(batch: number): string {
  const g = `generate_series(${batch * 1000 + 1}, ${batch * 1000 + 40}) g`
  const region = `CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END`
  return `INSERT INTO parts SELECT g, ${region}, 'b${batch}' FROM ${g};
INSERT INTO kparts SELECT g, ${region}, 'b${batch}' FROM ${g};
INSERT INTO klog SELECT g, 'b${batch}' FROM ${g};
INSERT INTO items SELECT g, 'b${batch}' FROM ${g};`
}

async function digests(side: 'source' | 'target', db: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const t of TABLES) out[t] = await tableDigest(pair[side], db, t)
  return out
}

describe('a resumed full+incremental load (16 → 16)', () => {
  it('re-copied tables keep their sync LSN through failures of other tables and a lost store write', async () => {
    const db = await pair.source.createDatabase('resume_sync')
    await pair.source.query(SCHEMA + insertBatch(0), [], db)
    const task = await createTask({
      name: 'resume sync lsn',
      source: pair.source.config(db),
      target: pair.target.config('postgres'),
      type: 'full+incremental',
      objects: { databases: { [db]: true } },
      parallelism: 1,
    })
    const refuse = async (table: string): Promise<void> => {
      await pair.target.query(
        `ALTER TABLE ${table} ADD CONSTRAINT refuse CHECK (false) NOT VALID`,
        [],
        db,
      )
    }
    const allow = async (table: string): Promise<void> => {
      await pair.target.query(`ALTER TABLE ${table} DROP CONSTRAINT refuse`, [], db)
    }
    try {
      await passPrecheck(task)
      await task.migrateSchema()

      await refuse('parts_eu')
      await expect(task.fullLoad()).rejects.toMatchObject({ code: 'PGFERRY_FULLLOAD_COPY_FAILED' })
      await allow('parts_eu')
      await pair.source.query(insertBatch(1), [], db)

      await refuse('zz_blocker')
      await expect(task.fullLoad()).rejects.toMatchObject({ code: 'PGFERRY_FULLLOAD_COPY_FAILED' })
      await allow('zz_blocker')
      // run 2 copied these under its newer snapshot: batch 1 is in them
      for (const t of ['parts_eu', 'parts_us', 'kparts_eu', 'kparts_us', 'klog']) {
        const r = await pair.target.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM ${t} WHERE v = 'b1'`,
          [],
          db,
        )
        expect(Number(r.rows[0]?.n), t).toBeGreaterThan(0)
      }
      // the process died after klog's last chunk committed, before the store heard of it
      const oid = (
        await pair.source.query<{ oid: number }>(
          `SELECT 'klog'::regclass::oid::int8::float8 AS oid`,
          [],
          db,
        )
      ).rows[0]?.oid as number
      await task.store.deleteProgress(task.id, LOADED_TABLE_KIND, loadedTableKey(db, oid))

      await pair.source.query(insertBatch(2), [], db)
      await task.fullLoad()
      await pair.source.query(insertBatch(3), [], db)

      const sync = await task.startIncremental()
      await task.complete({ timeoutMs: 120_000 })
      await sync.done
      expect(task.state).toBe('completed')
      const source = await digests('source', db)
      expect(source.klog?.startsWith('160:')).toBe(true)
      expect(await digests('target', db)).toEqual(source)
    } finally {
      await task.close()
    }
  }, 180_000)
})
