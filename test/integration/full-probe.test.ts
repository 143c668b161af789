/**
 * REPLICA IDENTITY FULL runs on a table whose target has a btree index on a matched column
 * (full-run-sql.ts narrows each run by it; issue 11), 16 → 16. One run
 * holds identical rows (each deleted or updated as many times as the source did), NULLs, types
 * without an equality operator (json, point, xml) and floats equal by `=` but not by their text
 * (-0 and 0) or by text but not always by `=` (NaN) under one indexed value. The target's rows are
 * compared with the source's by SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { loadedTask, tableDigest } from '../harness/incremental-fixture.js'
import { caughtUp } from '../harness/caught-up.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('REPLICA IDENTITY FULL runs on an indexed table (16 → 16)', () => {
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
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)
})
