/**
 * Inheritance (`INHERITS`, not partitioning) through the full load (issue 10 item 1): a parent and
 * its children are tables of their own, so every statement the load aims at one of them must touch
 * it alone. A `TRUNCATE parent` recurses into the children, and a children already loaded would be
 * emptied. Compared table by table with `FROM ONLY` on both sides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { tableDigest } from '../harness/incremental-fixture.js'
import { passPrecheck } from '../harness/pass-precheck.js'
import { createTask, type Task } from '../../src/index.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/**
 * Two hierarchies with overlapping ids. `ip` is smaller than its children, so (largest first, one
 * lane) it is copied after them, whole, in a transaction that empties it first. `bp` is split into
 * chunks (the task's split size is small), its children bigger still.
 */
const SCHEMA = `
CREATE TABLE ip (id int, v text);
CREATE TABLE ic1 (extra int) INHERITS (ip);
CREATE TABLE ic2 () INHERITS (ip);
INSERT INTO ip SELECT g, 'parent ' || g FROM generate_series(1, 50) g;
INSERT INTO ic1 SELECT g, 'child1 ' || g, -g FROM generate_series(1, 3000) g;
INSERT INTO ic2 SELECT g, 'child2 ' || g FROM generate_series(1, 3000) g;
CREATE TABLE bp (id int PRIMARY KEY, pad text);
CREATE TABLE bc1 () INHERITS (bp);
CREATE TABLE bc2 () INHERITS (bp);
INSERT INTO bp SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 6000) g;
INSERT INTO bc1 SELECT g, repeat(md5((-g)::text), 4) FROM generate_series(1, 9000) g;
INSERT INTO bc2 SELECT g, repeat(md5((g * 7)::text), 4) FROM generate_series(1, 9000) g;
ANALYZE;
`
const TABLES = ['ip', 'ic1', 'ic2', 'bp', 'bc1', 'bc2'] as const

async function inheritanceTask(db: string): Promise<Task> {
  await pair.source.query(SCHEMA, [], db)
  const task = await createTask({
    name: `inheritance ${db}`,
    source: pair.source.config(db),
    target: pair.target.config('postgres'),
    type: 'full',
    objects: { databases: { [db]: true } },
    parallelism: 1,
    splitTablesLargerThan: 200_000,
  })
  await passPrecheck(task)
  await task.migrateSchema()
  return task
}

/** Each table alone (`FROM ONLY`), count and md5 of its ordered rows, by SQL on each side. */
async function expectEqualOnly(db: string): Promise<void> {
  const source: Record<string, string> = {}
  const target: Record<string, string> = {}
  for (const t of TABLES) {
    source[t] = await tableDigest(pair.source, db, `ONLY ${t}`)
    target[t] = await tableDigest(pair.target, db, `ONLY ${t}`)
    expect(source[t]?.startsWith('0:'), t).toBe(false)
  }
  expect(target).toEqual(source)
}

describe('inheritance through the full load (16 → 16)', () => {
  it('copies a parent after its children without emptying them, whole and in chunks', async () => {
    const db = await pair.source.createDatabase('inh_once')
    const task = await inheritanceTask(db)
    const chunks = new Map<string, number>()
    task.on('table:start', (e) => chunks.set(e.table, e.chunks))
    try {
      await task.fullLoad()
      expect(task.state).toBe('completed')
      expect(chunks.get('public.ip')).toBe(1)
      expect(chunks.get('public.bp')).toBeGreaterThan(1)
      await expectEqualOnly(db)
    } finally {
      await task.close()
    }
  })

  it('resets a split parent on resume without emptying the children loaded by the failed run', async () => {
    const db = await pair.source.createDatabase('inh_resume')
    const task = await inheritanceTask(db)
    try {
      // The parent alone refuses its rows on the target (NO INHERIT: the children accept theirs),
      // so the first run loads the children and fails on the parent.
      await pair.target.query(
        `ALTER TABLE ONLY bp ADD CONSTRAINT refuse CHECK (false) NO INHERIT NOT VALID`,
        [],
        db,
      )
      await expect(task.fullLoad()).rejects.toMatchObject({ code: 'PGFERRY_FULLLOAD_COPY_FAILED' })
      const loaded = await pair.target.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM ONLY bc1) + (SELECT count(*) FROM ONLY bc2) AS n`,
        [],
        db,
      )
      expect(Number(loaded.rows[0]?.n)).toBe(18_000)
      await pair.target.query(`ALTER TABLE bp DROP CONSTRAINT refuse`, [], db)
      await task.fullLoad()
      expect(task.state).toBe('completed')
      await expectEqualOnly(db)
    } finally {
      await task.close()
    }
  })
})
