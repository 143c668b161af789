import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  equalityUnderWrites,
  prepareDatabases,
  readyForFullLoad,
} from '../harness/fullload-suite.js'
import { tableDigests } from '../harness/fullload-fixture.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import { createTask } from '../../src/index.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('full load 16 → 16', () => {
  it('copies every type as of one snapshot while the source keeps changing (full)', async () => {
    const { task } = await equalityUnderWrites(pair, 'full')
    await task.close()
  })

  it('creates a slot with an exported snapshot and copies as of its consistent point (full+incremental)', async () => {
    const { task, sdb } = await equalityUnderWrites(pair, 'full+incremental')
    await task.delete()
    const left = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
    expect(left.rows).toEqual([])
    expect((await pair.source.query(`SELECT pubname FROM pg_publication`, [], sdb)).rows).toEqual(
      [],
    )
  })
})

describe('several databases in one task (16 → 16)', () => {
  it('loads each database under its own slot and snapshot', async () => {
    const a = await prepareDatabases(pair, 'multi_a')
    const b = await prepareDatabases(pair, 'multi_b')
    const task = await createTask({
      name: 'two databases',
      source: pair.source.config(a.sdb),
      target: pair.target.config(a.tdb),
      type: 'full+incremental',
      objects: { databases: { [a.sdb]: { as: a.tdb }, [b.sdb]: { as: b.tdb } } },
    })
    try {
      await readyForFullLoad(task)
      const result = await task.fullLoad()
      expect(Object.keys(result.startLsn).sort()).toEqual([a.sdb, b.sdb].sort())
      for (const { sdb, tdb } of [a, b]) {
        expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
      }
      const { databases } = await readLoadProgress(task.store, task.id)
      const slots = [...databases.values()].map((d) => d.slot)
      expect(new Set(slots).size).toBe(2)
      const onServer = await pair.source.query<{ slot_name: string; database: string }>(
        `SELECT slot_name, database FROM pg_replication_slots ORDER BY database`,
      )
      expect(onServer.rows.map((r) => r.database)).toEqual([a.sdb, b.sdb].sort())
      await task.delete()
      expect((await pair.source.query(`SELECT 1 FROM pg_replication_slots`)).rowCount).toBe(0)
      for (const { sdb } of [a, b])
        expect((await pair.source.query(`SELECT 1 FROM pg_publication`, [], sdb)).rowCount).toBe(0)
    } finally {
      await task.close()
    }
  })
})

describe('the automatic split (no splitTablesLargerThan named, 16 → 16)', () => {
  it('splits a table only when it is larger than a lane share of the load', async () => {
    const sdb = await pair.source.createDatabase('autosplit')
    const ddl = `CREATE TABLE big_one (id int PRIMARY KEY, pad text);
                 CREATE TABLE small_one (id int PRIMARY KEY, pad text);`
    // ~310 MB of heap (rows under the TOAST threshold stay in the heap, uncompressed)
    await pair.source.query(
      `${ddl}
       INSERT INTO big_one SELECT i, repeat(md5(i::text), 31) FROM generate_series(1, 300000) i;
       INSERT INTO small_one SELECT i, md5(i::text) FROM generate_series(1, 10000) i;`,
      [],
      sdb,
    )
    const digest = (t: string): string =>
      `SELECT count(*)::int AS n, md5(string_agg(md5(x::text), '' ORDER BY id)) AS h FROM ${t} x`
    // one lane: the big table is the whole load, never more than a lane's share, so one piece;
    // two lanes: it is over its share (and over 256 MiB), so ctid chunks
    for (const [parallelism, bigChunks] of [
      [1, 1],
      [2, 2],
    ] as const) {
      const tdb = await pair.target.createDatabase(`autosplit_t${parallelism}`)
      await pair.target.query(ddl, [], tdb)
      const task = await createTask({
        name: `automatic split, parallelism ${parallelism}`,
        source: pair.source.config(sdb),
        target: pair.target.config(tdb),
        type: 'full',
        objects: { databases: { [sdb]: { as: tdb } } },
        parallelism,
      })
      const chunks = new Map<string, number>()
      task.on('table:start', (e) => chunks.set(e.table, e.chunks))
      try {
        expect(task.config.splitTablesLargerThan).toBeUndefined()
        await readyForFullLoad(task)
        await task.fullLoad()
        expect(chunks.get('public.big_one')).toBe(bigChunks)
        expect(chunks.get('public.small_one')).toBe(1)
        for (const t of ['big_one', 'small_one']) {
          expect((await pair.target.query(digest(t), [], tdb)).rows).toEqual(
            (await pair.source.query(digest(t), [], sdb)).rows,
          )
        }
      } finally {
        await task.close()
      }
    }
  }, 600_000) // ~310 MB written and copied twice: minutes on a busy 2-core machine (a bound)
})

describe('a TOAST-heavy table (16 → 16)', () => {
  it('one main-fork block but large: split by its integer key, not copied whole with a wrong reason', async () => {
    const sdb = await pair.source.createDatabase('toastsplit')
    const tdb = await pair.target.createDatabase('toastsplit_t')
    // values stored out of line: the table's bytes are in its TOAST relation
    const ddl = `CREATE TABLE wide (id int PRIMARY KEY, big text);
                 ALTER TABLE wide ALTER COLUMN big SET STORAGE EXTERNAL;`
    await pair.target.query(ddl, [], tdb)
    await pair.source.query(
      `${ddl}
       INSERT INTO wide SELECT g, (SELECT string_agg(md5(g::text || ':' || x), '') FROM generate_series(1, 250) x)
         FROM generate_series(1, 40) g;`,
      [],
      sdb,
    )
    const blocks = await pair.source.query<{ n: string }>(
      `SELECT (pg_relation_size('wide') / current_setting('block_size')::int)::text AS n`,
      [],
      sdb,
    )
    expect(Number(blocks.rows[0]?.n)).toBeLessThan(2)
    const task = await createTask({
      name: 'toast-heavy split',
      source: pair.source.config(sdb),
      target: pair.target.config(tdb),
      type: 'full',
      objects: { databases: { [sdb]: { as: tdb } } },
      splitTablesLargerThan: 100_000,
    })
    const chunks = new Map<string, number>()
    const warnings: string[] = []
    task.on('table:start', (e) => chunks.set(e.table, e.chunks))
    task.on('warning', (w) => warnings.push(w.code))
    try {
      await readyForFullLoad(task)
      await task.fullLoad()
      expect(chunks.get('public.wide')).toBeGreaterThan(1)
      expect(warnings).not.toContain('PGFERRY_FULLLOAD_NOT_SPLIT')
      const digest = `SELECT count(*)::int AS n, md5(string_agg(w::text, '' ORDER BY id)) AS h FROM wide w`
      expect((await pair.target.query(digest, [], tdb)).rows).toEqual(
        (await pair.source.query(digest, [], sdb)).rows,
      )
    } finally {
      await task.close()
    }
  })
})
