/**
 * Tables with no column to copy (issue 10 item 13): a zero-column table that holds rows, and a
 * table whose only column is generated. COPY has no column to name for either; both must still
 * arrive with their row counts, through a `full` load and through `full+incremental` with rows
 * added (and deleted) during the sync. Counted by SQL on each side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { tableDigest } from '../harness/incremental-fixture.js'
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

// `gen_split` is large enough for the task's split size: its chunks select no column either.
const SCHEMA = `
CREATE TABLE nocols ();
INSERT INTO nocols SELECT FROM generate_series(1, 37);
CREATE TABLE gen (g int GENERATED ALWAYS AS (7) STORED);
INSERT INTO gen SELECT FROM generate_series(1, 23);
CREATE TABLE gen_split (g bigint GENERATED ALWAYS AS (42) STORED);
INSERT INTO gen_split SELECT FROM generate_series(1, 60000);
CREATE TABLE plain (id int PRIMARY KEY);
INSERT INTO plain SELECT generate_series(1, 10);
-- keyless tables are published only with a replica identity (the application's UPDATE must work)
ALTER TABLE nocols REPLICA IDENTITY FULL;
ALTER TABLE gen REPLICA IDENTITY FULL;
ALTER TABLE gen_split REPLICA IDENTITY FULL;
ANALYZE;
`
const TABLES = ['nocols', 'gen', 'gen_split', 'plain'] as const

async function digests(side: 'source' | 'target', db: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const t of TABLES) out[t] = await tableDigest(pair[side], db, t)
  return out
}

async function migrate(type: MigrationType): Promise<void> {
  const db = await pair.source.createDatabase(type === 'full' ? 'nocols_full' : 'nocols_inc')
  await pair.source.query(SCHEMA, [], db)
  const task = await createTask({
    name: `column-less ${type}`,
    source: pair.source.config(db),
    target: pair.target.config('postgres'),
    type,
    objects: { databases: { [db]: true } },
    splitTablesLargerThan: 500_000,
  })
  const chunks = new Map<string, number>()
  task.on('table:start', (e) => chunks.set(e.table, e.chunks))
  try {
    await passPrecheck(task)
    await task.migrateSchema()
    await task.fullLoad()
    expect(chunks.get('public.gen_split')).toBeGreaterThan(1)
    if (type === 'full+incremental') {
      const sync = await task.startIncremental()
      await pair.source.query(
        `INSERT INTO nocols SELECT FROM generate_series(1, 5);
         INSERT INTO gen SELECT FROM generate_series(1, 4);
         INSERT INTO plain VALUES (11);
         DELETE FROM nocols WHERE ctid IN (SELECT ctid FROM nocols LIMIT 3);
         DELETE FROM gen WHERE ctid IN (SELECT ctid FROM gen LIMIT 2);`,
        [],
        db,
      )
      await task.complete({ timeoutMs: 120_000 })
      await sync.done
    }
    expect(task.state).toBe('completed')
    const source = await digests('source', db)
    expect(source.nocols?.split(':')[0]).toBe(type === 'full' ? '37' : '39')
    expect(source.gen_split?.split(':')[0]).toBe('60000')
    expect(await digests('target', db)).toEqual(source)
  } finally {
    await task.close()
  }
}

describe('tables with no column to copy (16 → 16)', () => {
  it('loads a zero-column table and generated-only tables with their row counts (full)', async () => {
    await migrate('full')
  })

  it('loads them and carries rows added during the sync (full+incremental)', async () => {
    await migrate('full+incremental')
  }, 120_000)
})
