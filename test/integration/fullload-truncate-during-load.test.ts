/**
 * TRUNCATE is not MVCC-safe: a table truncated (or otherwise rewritten) on the source after the
 * load's snapshot was taken but before its COPY locks it is read from its new, empty file, and the
 * copy misses every row the snapshot saw. The stream then carries the UPDATEs and DELETEs made
 * before the TRUNCATE to rows the target never got. The load must notice, and copy that table
 * again under a snapshot taken after the rewrite (16 → 16, both task types).
 *
 * The moment is created, not raced for: with one lane, the larger table `bulk` is copied first
 * and its COPY is held on the target by a lock; the smaller table is changed and truncated on the
 * source meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MigrationType } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { holdInserts, waitForLockedBackend } from '../harness/held-backend.js'
import { leftovers, structuredTask, tableDigest } from '../harness/incremental-fixture.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

const SCHEMA = `
CREATE TABLE bulk (id int PRIMARY KEY, pad text);
INSERT INTO bulk SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g;
CREATE TABLE small (id int PRIMARY KEY, v text);
INSERT INTO small SELECT g, 'v' || g FROM generate_series(1, 50) g;
ANALYZE;
`

describe('a table truncated on the source between the snapshot and its COPY (16 → 16)', () => {
  for (const type of ['full+incremental', 'full'] as const satisfies readonly MigrationType[]) {
    it(`is copied again under a later snapshot (${type})`, async () => {
      const db = await pair.source.createDatabase('trunc')
      await pair.source.query(SCHEMA, [], db)
      const task = await structuredTask(pair, db, { config: { parallelism: 1, type } })
      const [hold, watch, writer] = await Promise.all([
        pair.target.client(db),
        pair.target.client(db),
        pair.source.client(db),
      ])
      try {
        const held = await holdInserts(hold, 'bulk')
        const load = task.fullLoad()
        load.catch(() => undefined)
        // the snapshot is taken and bulk's COPY waits: small is not locked by anyone yet
        await waitForLockedBackend(watch, db, 'COPY%bulk%FROM STDIN%')
        await writer.query(`UPDATE small SET v = 'changed' WHERE id = 1`)
        await writer.query(`DELETE FROM small WHERE id = 2`)
        await writer.query(`TRUNCATE small`)
        await writer.query(`INSERT INTO small VALUES (1000, 'after the truncate')`)
        await held.release()
        await load
        if (type === 'full') {
          // a full task ends as of a snapshot taken after the TRUNCATE, not with an empty copy
          expect(await tableDigest(pair.target, db, 'small')).toBe(
            await tableDigest(pair.source, db, 'small'),
          )
        } else {
          await task.startIncremental()
          await writer.query(`INSERT INTO small VALUES (1001, 'during the sync')`)
          await task.complete()
        }
        for (const t of ['bulk', 'small'])
          expect(await tableDigest(pair.target, db, t)).toBe(await tableDigest(pair.source, db, t))
        expect(
          (await pair.target.query(`SELECT count(*)::int AS n FROM small`, [], db)).rows[0],
        ).toEqual({ n: type === 'full' ? 1 : 2 })
        if (type === 'full+incremental') expect(await leftovers(pair, db)).toEqual([])
      } finally {
        await Promise.all([hold, watch, writer].map((c) => c.end()))
        await task.delete().catch(() => undefined)
        await task.close()
      }
    }, 240_000)
  }
})
