/**
 * REPLICA IDENTITY FULL runs on a table whose target has a btree index on a matched column find
 * each old image's row by one probe of that index (full-probe-sql.ts, issue 11), 16 → 16. One run
 * holds identical rows (each deleted or updated as many times as the source did), NULLs, types
 * without an equality operator (json, point, xml) and floats equal by `=` but not by their text
 * (-0 and 0) or by text but not always by `=` (NaN) under one indexed value. The target's rows are
 * compared with the source's by SQL, and the target's index scans counted: a probe per image, where
 * the hashed statement of full-run-sql.ts scanned the index once per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { eventually, loadedTask, tableDigest } from '../harness/incremental-fixture.js'
import { caughtUp } from '../harness/caught-up.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('REPLICA IDENTITY FULL runs by index probes (16 → 16)', () => {
  it('identical rows, NULLs, json/point/xml and -0/0/NaN floats under one indexed value: one source change touches one target row', async () => {
    const db = await pair.source.createDatabase('fullprobe')
    // per id: four float values (-0, 0, NaN, NULL), three identical copies of each row
    await pair.source.query(
      `CREATE TABLE fp (id int, j json, p point, f float8, t text, x xml);
       ALTER TABLE fp REPLICA IDENTITY FULL;
       CREATE INDEX fp_id ON fp (id);
       INSERT INTO fp SELECT k, CASE WHEN k % 5 <> 0 THEN json_build_object('k', k) END, point(k, k),
                             f, CASE WHEN k % 7 <> 0 THEN 't' || k END,
                             xmlparse(content '<a>' || k || '</a>')
                        FROM generate_series(0, 199) k,
                             unnest(ARRAY['-0', '0', 'NaN', NULL]::float8[]) f, generate_series(1, 3);`,
      [],
      db,
    )
    const task = await loadedTask(pair, db)
    const stats = async (): Promise<{ idx: number; changed: number }> => {
      const r = await pair.target.query<{ idx: number; changed: number }>(
        `SELECT coalesce(idx_scan, 0)::int AS idx, (n_tup_upd + n_tup_del)::int AS changed
           FROM pg_stat_user_tables WHERE relname = 'fp'`,
        [],
        db,
      )
      return r.rows[0] as { idx: number; changed: number }
    }
    await eventually(async () => {
      const r = await pair.target.query<{ n: number }>(
        `SELECT n_tup_ins::int AS n FROM pg_stat_user_tables WHERE relname = 'fp'`,
        [],
        db,
      )
      return r.rows[0]?.n === 2400
    }, 60_000)
    await pair.target.query(`SELECT pg_stat_reset_single_table_counters('fp'::regclass)`, [], db)
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      const same = async (): Promise<void> => {
        await caughtUp(sync, pair.source)
        expect(await tableDigest(pair.target, db, 'fp')).toBe(
          await tableDigest(pair.source, db, 'fp'),
        )
      }
      // two of three identical copies of each (id, float) with id < 100: 800 changes in one run,
      // 400 pairs of identical images, -0 beside 0 and NaN under one id
      const deleted = await c.query(
        `DELETE FROM fp WHERE id < 100
            AND ctid NOT IN (SELECT max(ctid) FROM fp WHERE id < 100 GROUP BY id, f::text)`,
      )
      expect(deleted.rowCount).toBe(800)
      await same()
      // one of three identical copies updated, then a float changed from -0 (0 stays)
      await c.query(`BEGIN;
        UPDATE fp SET t = coalesce(t, '') || '.'
         WHERE ctid IN (SELECT min(ctid) FROM fp WHERE id >= 100 GROUP BY id, f::text);
        UPDATE fp SET f = 'NaN' WHERE id BETWEEN 150 AND 159 AND f::text = '-0';
        COMMIT`)
      await same()
      const left = await pair.target.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM fp WHERE id BETWEEN 150 AND 159 AND f::text = '-0'`,
        [],
        db,
      )
      expect(left.rows[0]?.n).toBe(0)
      // 800 + 400 + 30 changes, each found by its own probe of the index
      let s = { idx: 0, changed: 0 }
      await eventually(async () => {
        s = await stats()
        return s.changed === 1230
      }, 60_000)
      expect(s.idx).toBeGreaterThanOrEqual(1230)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)
})
