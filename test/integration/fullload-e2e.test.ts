import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { PRE_DATA, SOURCE_ONLY, TABLES, seed, tableDigests } from '../harness/fullload-fixture.js'
import { passPrecheck } from '../harness/pass-precheck.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 17)
})
afterAll(async () => {
  await pair?.stop()
})

describe('structure then full load, end to end (12 → 17)', () => {
  it('migrateSchema creates the tables, fullLoad copies the rows and builds the post-data objects', async () => {
    const sdb = await pair.source.createDatabase('e2e')
    const tdb = `${sdb}_t`
    await pair.source.query(
      PRE_DATA +
        SOURCE_ONLY +
        `ALTER TABLE refs ADD PRIMARY KEY (id);
         ALTER TABLE refs ADD CONSTRAINT refs_fk FOREIGN KEY (nums_id) REFERENCES nums (id);
         CREATE INDEX events_at_idx ON events (at);
         CREATE UNIQUE INDEX typed_id_idx ON typed (id);
`,
      [],
      sdb,
    )
    await seed(pair.source, sdb)
    await pair.source.query(
      `CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM nums`,
      [],
      sdb,
    )
    await pair.source.query(
      `SELECT lo_from_bytea(424242, decode(repeat('ab', 1500000), 'hex'))`,
      [],
      sdb,
    )
    await pair.source.query(`GRANT SELECT ON LARGE OBJECT 424242 TO PUBLIC`, [], sdb)
    const task = await createTask({
      name: 'e2e',
      source: pair.source.config(sdb),
      target: pair.target.config('postgres'),
      type: 'full',
      objects: { databases: { [sdb]: { as: tdb } } },
      splitTablesLargerThan: 1_000_000,
    })
    try {
      await passPrecheck(task)
      await task.migrateSchema()
      const result = await task.fullLoad()
      expect(result.tables).toBe(TABLES.length - 1)
      expect(result.largeObjects).toBe(1)
      expect(await tableDigests(pair.target, tdb)).toEqual(await tableDigests(pair.source, sdb))
      const q = `SELECT conname, contype::text, convalidated FROM pg_constraint
                  WHERE conrelid IN ('nums'::regclass, 'refs'::regclass) ORDER BY 1`
      expect((await pair.target.query(q, [], tdb)).rows).toEqual(
        (await pair.source.query(q, [], sdb)).rows,
      )
      const idx = `SELECT c.relname, i.indisvalid, i.indisunique FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1`
      expect((await pair.target.query(idx, [], tdb)).rows).toEqual(
        (await pair.source.query(idx, [], sdb)).rows,
      )
      const mv = `SELECT n FROM mv`
      expect((await pair.target.query(mv, [], tdb)).rows).toEqual(
        (await pair.source.query(mv, [], sdb)).rows,
      )
      const lo = `SELECT md5(lo_get(424242)) AS h, (SELECT lomacl::text FROM pg_largeobject_metadata WHERE oid = 424242) AS acl`
      expect((await pair.target.query(lo, [], tdb)).rows).toEqual(
        (await pair.source.query(lo, [], sdb)).rows,
      )
      const seq = `SELECT last_value::text, is_called FROM typed_id_seq`
      expect((await pair.target.query(seq, [], tdb)).rows).toEqual(
        (await pair.source.query(seq, [], sdb)).rows,
      )
      expect(task.state).toBe('completed')
    } finally {
      await task.close()
    }
  })
})

describe('renamed schema, end to end (12 → 17)', () => {
  it('copies into the renamed schema and builds its post-data objects there', async () => {
    const sdb = await pair.source.createDatabase('e2e_ren')
    const tdb = `${sdb}_t`
    await pair.source.query(
      `CREATE SCHEMA app;
       CREATE TABLE app.parent (id int PRIMARY KEY, name text);
       CREATE TABLE app.child (id int PRIMARY KEY, parent_id int REFERENCES app.parent (id), note text);
       CREATE INDEX child_note_idx ON app.child (lower(note));
       INSERT INTO app.parent SELECT i, 'p' || i FROM generate_series(1, 500) i;
       INSERT INTO app.child SELECT i, 1 + i % 500, 'N' || i FROM generate_series(1, 5000) i;`,
      [],
      sdb,
    )
    const task = await createTask({
      name: 'e2e renamed',
      source: pair.source.config(sdb),
      target: pair.target.config('postgres'),
      type: 'full+incremental',
      objects: { databases: { [sdb]: { as: tdb, schemas: { app: { as: 'app2' } } } } },
    })
    try {
      await passPrecheck(task)
      await task.migrateSchema()
      await task.fullLoad()
      for (const t of ['parent', 'child']) {
        const q = (schema: string): string =>
          `SELECT count(*)::text AS n, md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM ${schema}.${t} x`
        expect((await pair.target.query(q('app2'), [], tdb)).rows).toEqual(
          (await pair.source.query(q('app'), [], sdb)).rows,
        )
      }
      const cons = await pair.target.query<{ conname: string; nsp: string }>(
        `SELECT c.conname, n.nspname AS nsp FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
          WHERE n.nspname = 'app2' ORDER BY 1`,
        [],
        tdb,
      )
      expect(cons.rows.map((r) => r.conname)).toEqual([
        'child_parent_id_fkey',
        'child_pkey',
        'parent_pkey',
      ])
      const idx = await pair.target.query(
        `SELECT 1 FROM pg_indexes WHERE schemaname = 'app2' AND indexname = 'child_note_idx'`,
        [],
        tdb,
      )
      expect(idx.rowCount).toBe(1)
      await task.delete()
    } finally {
      await task.close()
    }
  })
})

describe('a table dropped on the source mid-load (12 → 17)', () => {
  it('fails naming the table and the fix, leaves no part of it, and finishes once it is back', async () => {
    const sdb = await pair.source.createDatabase('e2e_drop')
    const tdb = `${sdb}_t`
    // a hostile name: quotes, a space, unicode, a reserved word
    const doomed = `"Dröp ""me"" select"`
    const createDoomed = `CREATE TABLE ${doomed} (id int PRIMARY KEY, v text);
       INSERT INTO ${doomed} SELECT i, 'v' || i FROM generate_series(1, 1000) i;`
    await pair.source.query(
      `CREATE TABLE bulk (id int PRIMARY KEY, pad text);
       INSERT INTO bulk SELECT i, repeat('x', 200) FROM generate_series(1, 20000) i;
       ${createDoomed}`,
      [],
      sdb,
    )
    const task = await createTask({
      name: 'e2e dropped table',
      source: pair.source.config(sdb),
      target: pair.target.config('postgres'),
      type: 'full',
      objects: { databases: { [sdb]: { as: tdb } } },
      // one lane, largest first: bulk is copied (slowly) before the doomed table is reached
      parallelism: 1,
      throttle: { bytesPerSecond: 2_000_000 },
    })
    const digest = `SELECT count(*)::text AS n, md5(string_agg(x::text, ',' ORDER BY x::text)) AS h FROM`
    try {
      await passPrecheck(task)
      await task.migrateSchema()
      let dropped: Promise<unknown> | undefined
      task.on('table:start', (e) => {
        if (e.table.endsWith('bulk')) dropped = pair.source.query(`DROP TABLE ${doomed}`, [], sdb)
      })
      const error: unknown = await task.fullLoad().catch((e: unknown) => e)
      await dropped
      expect(error).toMatchObject({
        code: 'PGFERRY_FULLLOAD_TABLE_DROPPED',
        message: expect.stringContaining('Dröp "me" select'),
        fix: expect.stringMatching(/recreate/i),
      })
      expect(task.state).toBe('failed')
      // nothing of the dropped table on the target; the table copied before it is whole
      expect(
        (await pair.target.query(`SELECT count(*)::int AS n FROM ${doomed}`, [], tdb)).rows,
      ).toEqual([{ n: 0 }])
      expect((await pair.target.query(`${digest} bulk x`, [], tdb)).rows).toEqual(
        (await pair.source.query(`${digest} bulk x`, [], sdb)).rows,
      )

      // the fix the error names: put the table back, run the load again
      await pair.source.query(createDoomed, [], sdb)
      // its key (planned under the old table's oid) is built after its rows land, not before
      const order: string[] = []
      task.on('table:copied', (e) => order.push(`copied ${e.table}`))
      task.on('schema:object', (e) => order.push(`${e.kind} ${e.name}`))
      await task.fullLoad()
      const copiedAt = order.findIndex((o) => o.startsWith('copied') && o.includes('Dröp'))
      const indexAt = order.findIndex((o) => o.startsWith('index') && o.includes('Dröp'))
      expect(copiedAt).toBeGreaterThanOrEqual(0)
      expect(indexAt).toBeGreaterThan(copiedAt)
      for (const t of ['bulk', doomed]) {
        expect((await pair.target.query(`${digest} ${t} x`, [], tdb)).rows).toEqual(
          (await pair.source.query(`${digest} ${t} x`, [], sdb)).rows,
        )
      }
      const pk = await pair.target.query(
        `SELECT 1 FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
        [doomed],
        tdb,
      )
      expect(pk.rowCount).toBe(1)
      expect(task.state).toBe('completed')
    } finally {
      await task.close()
    }
  })
})
