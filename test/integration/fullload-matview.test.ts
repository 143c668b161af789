/**
 * Materialized views keep the source's populated state (issue 10 item 14, first half): one created
 * `WITH NO DATA` and never refreshed stays unpopulated on the target, a populated one is refreshed
 * once its tables are loaded, in every task type. Read from pg_matviews on each side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { passPrecheck } from '../harness/pass-precheck.js'
import { createTask } from '../../src/index.js'
import type { MigrationType } from '../../src/model/task-config.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

const SCHEMA = `
CREATE TABLE base (id int PRIMARY KEY, v text);
INSERT INTO base SELECT g, 'v' || g FROM generate_series(1, 100) g;
CREATE MATERIALIZED VIEW mv_empty AS SELECT id, v FROM base WITH NO DATA;
`
const POPULATED = `CREATE MATERIALIZED VIEW mv_full AS SELECT count(*) AS n FROM base;`

async function matviews(side: 'source' | 'target', db: string): Promise<unknown[]> {
  const r = await pair[side].query(
    `SELECT matviewname, ispopulated FROM pg_matviews WHERE schemaname = 'public' ORDER BY 1`,
    [],
    db,
  )
  return r.rows
}

describe('materialized views keep their populated state (16 → 16)', () => {
  const types = [
    'structure',
    'full',
    'full+incremental',
  ] as const satisfies readonly MigrationType[]
  for (const type of types) {
    for (const beside of [false, true]) {
      it(`${type}, an unpopulated one ${beside ? 'beside a populated one' : 'alone'}`, async () => {
        const db = await pair.source.createDatabase(`mv_${type.replace('+', '_')}`)
        await pair.source.query(SCHEMA + (beside ? POPULATED : ''), [], db)
        const task = await createTask({
          name: `matviews ${type}`,
          source: pair.source.config(db),
          target: pair.target.config('postgres'),
          type,
          objects: { databases: { [db]: true } },
        })
        try {
          await passPrecheck(task)
          await task.migrateSchema()
          if (type !== 'structure') await task.fullLoad()
          const source = await matviews('source', db)
          expect(source).toEqual([
            { matviewname: 'mv_empty', ispopulated: false },
            ...(beside ? [{ matviewname: 'mv_full', ispopulated: true }] : []),
          ])
          expect(await matviews('target', db)).toEqual(source)
          if (beside && type !== 'structure') {
            const n = await pair.target.query(`SELECT n::text FROM mv_full`, [], db)
            expect(n.rows).toEqual([{ n: '100' }])
          }
          if (type === 'full+incremental') await task.delete()
        } finally {
          await task.close()
        }
      })
    }
  }
})
