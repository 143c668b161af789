/**
 * The task's manifest on 16 → 16 (issue 12): what the task migrates is resolved once, by its first
 * stage that writes, stored, and read by every later stage. A table created on the source later is
 * not migrated unless the caller adds it (`startIncremental(task, { addTables })`), which creates,
 * copies and streams it; a function body changed since does not widen what a starting stream
 * expects; a table created or renamed between the structure stage and the full load does not make
 * the two disagree. Every check is by SQL on the servers (the store's rows included).
 */
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask, type PgferryError, type Task } from '../../src/index.js'
import type { PgferryEvents } from '../../src/model/events.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  INCREMENTAL_SCHEMA,
  digests,
  eventually,
  leftovers,
  loadedTask,
  tableDigest,
  writeStep,
} from '../harness/incremental-fixture.js'
import { passPrecheck } from '../harness/pass-precheck.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** Relation names (`schema.name`) of the manifest the store holds for `db`, read by SQL. */
async function storedManifest(taskId: string, db: string): Promise<string[]> {
  const r = await pair.target.query<{ name: string }>(
    `SELECT (r->>'schema') || '.' || (r->>'name') AS name
       FROM pgferry.progress p, jsonb_array_elements(p.value->'relations') r
      WHERE p.task_id = $1 AND p.kind = 'manifest' AND p.key = $2 ORDER BY 1`,
    [taskId, db],
    'postgres',
  )
  return r.rows.map((x) => x.name)
}

function warningsOf(task: Task): PgferryEvents['warning'][] {
  const out: PgferryEvents['warning'][] = []
  task.on('warning', (e) => out.push(e))
  return out
}

/** A writer of the table `added` (inserts, updates, deletes) until stopped. */
function addedWriter(c: pg.Client): { stop: () => Promise<number> } {
  let i = 0
  let stopping = false
  const loop = (async () => {
    while (!stopping) {
      i++
      await c.query(`INSERT INTO added (v) VALUES ($1)`, [`w${i}`])
      await c.query(`UPDATE added SET v = v || '.' WHERE id = $1`, [1 + ((i * 13) % 500)])
      if (i % 5 === 0) await c.query(`DELETE FROM added WHERE id = $1`, [1000 - i])
    }
  })()
  loop.catch(() => undefined)
  return {
    stop: async () => {
      stopping = true
      await loop
      return i
    },
  }
}

/** A `full` task over `db` through precheck and structure. */
async function structuredFullTask(db: string, tdb: string): Promise<Task> {
  const task = await createTask({
    name: `manifest ${db}`,
    source: pair.source.config(db),
    target: pair.target.config('postgres'),
    type: 'full',
    objects: { databases: { [db]: { as: tdb, schemas: { public: true } } } },
  })
  await passPrecheck(task)
  await task.migrateSchema()
  return task
}

describe('the task manifest (16 → 16)', () => {
  it('a table created during sync is not in the manifest; complete cuts over and the warning names the step that adds it', async () => {
    const db = await pair.source.createDatabase('mf_new')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db, {
      objects: { databases: { [db]: { schemas: { public: true } } } },
    })
    const warnings = warningsOf(task)
    const c = await pair.source.client(db)
    try {
      await task.startIncremental({ newTableCheckMs: 100, lagIntervalMs: 100 })
      for (let i = 1; i <= 3; i++) await writeStep(c, i)
      await c.query(`CREATE TABLE during_sync (id int PRIMARY KEY, v text)`)
      await c.query(`INSERT INTO during_sync VALUES (1, 'a')`)
      // the running sync says so too, with the same step
      await eventually(
        () => Promise.resolve(warnings.some((w) => w.code === 'PGFERRY_APPLY_NEW_TABLE')),
        60_000,
      )
      const during = warnings.filter((w) => w.code === 'PGFERRY_APPLY_NEW_TABLE')
      expect(during.map((w) => w.message)).toEqual([
        expect.stringContaining(`addTables: ["public.during_sync"]`),
      ])
      await task.complete()
      expect(task.state).toBe('completed')
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await storedManifest(task.id, db)).toContain('public.items')
      expect(await storedManifest(task.id, db)).not.toContain('public.during_sync')
      const notMigrated = warnings.filter((w) => w.code === 'PGFERRY_COMPLETE_NOT_MIGRATED')
      expect(notMigrated).toHaveLength(1)
      expect(notMigrated[0]?.message).toContain('public.during_sync')
      expect(notMigrated[0]?.message).toContain(`addTables: ["public.during_sync"]`)
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('startIncremental({ addTables }) creates a table made during sync, copies it as of a consistent point under a writer, and streams it from then on', async () => {
    const db = await pair.source.createDatabase('mf_add')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db, {
      objects: { databases: { [db]: { schemas: { public: true } } } },
    })
    const c = await pair.source.client(db)
    const w = await pair.source.client(db)
    try {
      let sync = await task.startIncremental()
      for (let i = 1; i <= 3; i++) await writeStep(c, i)
      await c.query(`CREATE TABLE added (id serial PRIMARY KEY, v text NOT NULL, at int)`)
      await c.query(`CREATE INDEX added_v ON added (v)`)
      await c.query(`INSERT INTO added (v, at) SELECT 'r' || g, g FROM generate_series(1, 1000) g`)
      await sync.stop()
      // the writer runs through the copy and after it: no row may be lost or applied twice
      const writer = addedWriter(w)
      sync = await task.startIncremental({ addTables: ['public.added'] })
      for (let i = 4; i <= 8; i++) await writeStep(c, i)
      expect(await writer.stop()).toBeGreaterThan(0)
      await task.complete()
      expect(task.state).toBe('completed')
      expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
      expect(await tableDigest(pair.target, db, 'added')).toEqual(
        await tableDigest(pair.source, db, 'added'),
      )
      const seq = `SELECT last_value::text, is_called FROM added_id_seq`
      expect((await pair.target.query(seq, [], db)).rows).toEqual(
        (await pair.source.query(seq, [], db)).rows,
      )
      // its structure: the index came with it
      const idx = `SELECT indexdef FROM pg_indexes WHERE tablename = 'added' ORDER BY 1`
      expect((await pair.target.query(idx, [], db)).rows).toEqual(
        (await pair.source.query(idx, [], db)).rows,
      )
      expect(await storedManifest(task.id, db)).toContain('public.added')
      expect(await leftovers(pair, db)).toEqual([])
    } finally {
      await c.end()
      await w.end()
      await task.close()
    }
  }, 240_000)

  it('addTables of a partitioned table created during sync brings its partitions, and their changes after the copy arrive under each partition', async () => {
    const db = await pair.source.createDatabase('mf_addparts')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db, {
      objects: { databases: { [db]: { schemas: { public: true } } } },
    })
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      await c.query(
        `CREATE TABLE events (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
         CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu');
         CREATE TABLE events_us PARTITION OF events FOR VALUES IN ('us');
         INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'e' || g FROM generate_series(1, 400) g;`,
      )
      await sync.stop()
      await task.startIncremental({ addTables: ['public.events'] })
      await c.query(
        `INSERT INTO events SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'n' || g FROM generate_series(401, 450) g`,
      )
      await c.query(`UPDATE events SET v = v || '!' WHERE id % 9 = 0`)
      await c.query(`DELETE FROM events WHERE id % 11 = 0`)
      await task.complete()
      for (const t of ['events', 'events_eu', 'events_us'])
        expect(await tableDigest(pair.target, db, t)).toEqual(await tableDigest(pair.source, db, t))
      expect(await storedManifest(task.id, db)).toEqual(
        expect.arrayContaining(['public.events', 'public.events_eu', 'public.events_us']),
      )
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('addTables while the sync runs, or naming no table of the source, fails naming the fix and changes nothing', async () => {
    const db = await pair.source.createDatabase('mf_addbad')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    try {
      const sync = await task.startIncremental()
      const running = (await task
        .startIncremental({ addTables: ['public.items'] })
        .catch((e: unknown) => e)) as PgferryError
      expect(running.code).toBe('PGFERRY_MANIFEST_ADD_INVALID')
      expect(running.fix).toContain('sync.stop()')
      await sync.stop()
      const before = await storedManifest(task.id, db)
      const missing = (await task
        .startIncremental({ addTables: ['public.no_such_table'] })
        .catch((e: unknown) => e)) as PgferryError
      expect(missing.code).toBe('PGFERRY_MANIFEST_ADD_INVALID')
      expect(missing.message).toContain('public.no_such_table')
      expect(await storedManifest(task.id, db)).toEqual(before)
      // a malformed list is refused before the task moves
      const state = task.state
      const malformed = (await task
        .startIncremental({ addTables: 'public.items' as unknown as string[] })
        .catch((e: unknown) => e)) as PgferryError
      expect(malformed.code).toBe('PGFERRY_OPTIONS_INVALID')
      expect(task.state).toBe(state)
    } finally {
      await task.close()
    }
  }, 180_000)

  it('addTables names a table whose schema or name holds a dot, quoted or as an object; the warning says the tables were added, not that a load was interrupted', async () => {
    const db = await pair.source.createDatabase('mf_adddots')
    await pair.source.query(
      `${INCREMENTAL_SCHEMA}; CREATE SCHEMA "my.schema"; CREATE TABLE "my.schema".keep (id int PRIMARY KEY)`,
      [],
      db,
    )
    const task = await loadedTask(pair, db, {
      objects: { databases: { [db]: { schemas: { public: true, 'my.schema': true } } } },
    })
    const warnings = warningsOf(task)
    const c = await pair.source.client(db)
    try {
      const sync = await task.startIncremental()
      await c.query(
        `CREATE TABLE "my.schema"."t.1" (id int PRIMARY KEY, v text);
         INSERT INTO "my.schema"."t.1" SELECT g, 'a' || g FROM generate_series(1, 300) g;
         CREATE TABLE public."o.2" (id int PRIMARY KEY, v text);
         INSERT INTO public."o.2" SELECT g, 'b' || g FROM generate_series(1, 200) g;`,
      )
      await sync.stop()
      await task.startIncremental({
        addTables: ['"my.schema"."t.1"', { schema: 'public', name: 'o.2' }],
      })
      await c.query(`UPDATE "my.schema"."t.1" SET v = v || '!' WHERE id % 7 = 0`)
      await c.query(`INSERT INTO public."o.2" VALUES (201, 'late')`)
      await task.complete()
      expect(task.state).toBe('completed')
      for (const t of ['"my.schema"."t.1"', 'public."o.2"'])
        expect(await tableDigest(pair.target, db, t)).toEqual(await tableDigest(pair.source, db, t))
      expect(await storedManifest(task.id, db)).toEqual(
        expect.arrayContaining(['my.schema.t.1', 'public.o.2']),
      )
      const snapshots = warnings.filter((w) => w.code === 'PGFERRY_FULLLOAD_NEW_SNAPSHOT')
      expect(snapshots).toHaveLength(1)
      expect(snapshots[0]?.message).toContain('2 table(s) added to the task')
      expect(snapshots[0]?.message).not.toContain('interrupted')
    } finally {
      await c.end()
      await task.close()
    }
  }, 240_000)

  it('a function body changed after the structure stage does not widen what a starting (or resumed) stream expects of the publication', async () => {
    const db = await pair.source.createDatabase('mf_closure')
    await pair.source.query(
      `CREATE TABLE a (id int PRIMARY KEY, v text);
       CREATE TABLE b (id int PRIMARY KEY);
       CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
       CREATE TRIGGER a_touch BEFORE INSERT ON a FOR EACH ROW EXECUTE FUNCTION touch();
       INSERT INTO a SELECT g, 'a' || g FROM generate_series(1, 100) g;
       CREATE PUBLICATION dba_pub FOR TABLE a;`,
      [],
      db,
    )
    const task = await loadedTask(pair, db, {
      objects: {
        databases: { [db]: { schemas: { public: { tables: ['a'] } } } },
        includeDependencies: true,
      },
      config: { publication: 'dba_pub' },
    })
    const c = await pair.source.client(db)
    try {
      // the closure resolved now would add b (named in the body), which dba_pub does not carry
      await c.query(
        `CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN PERFORM count(*) FROM b; RETURN NEW; END $$`,
      )
      let sync = await task.startIncremental()
      await c.query(`INSERT INTO a SELECT g, 'n' || g FROM generate_series(101, 150) g`)
      await sync.stop()
      sync = await task.startIncremental()
      await c.query(`UPDATE a SET v = v || '!' WHERE id % 7 = 0`)
      await task.complete()
      expect(task.state).toBe('completed')
      expect(await tableDigest(pair.target, db, 'a')).toEqual(
        await tableDigest(pair.source, db, 'a'),
      )
      expect(await storedManifest(task.id, db)).toEqual(['public.a'])
      expect((await pair.target.query(`SELECT to_regclass('public.b') AS r`, [], db)).rows).toEqual(
        [{ r: null }],
      )
    } finally {
      await c.end()
      await task.close()
    }
  }, 180_000)

  it('a table created between the structure stage and the full load is left out by both, with a warning', async () => {
    const db = await pair.source.createDatabase('mf_drift_new')
    const tdb = `${db}_t`
    await pair.source.query(
      `CREATE TABLE kept (id int PRIMARY KEY, v text);
       INSERT INTO kept SELECT g, 'k' || g FROM generate_series(1, 500) g;`,
      [],
      db,
    )
    const task = await structuredFullTask(db, tdb)
    const warnings = warningsOf(task)
    try {
      await pair.source.query(
        `CREATE TABLE late (id int PRIMARY KEY); INSERT INTO late VALUES (1), (2)`,
        [],
        db,
      )
      await task.fullLoad()
      expect(await tableDigest(pair.target, tdb, 'kept')).toEqual(
        await tableDigest(pair.source, db, 'kept'),
      )
      expect(
        (await pair.target.query(`SELECT to_regclass('public.late') AS r`, [], tdb)).rows,
      ).toEqual([{ r: null }])
      const w = warnings.filter((x) => x.code === 'PGFERRY_FULLLOAD_NOT_MIGRATED')
      expect(w.map((x) => x.message).join('\n')).toContain('public.late')
    } finally {
      await task.close()
    }
  }, 120_000)

  it('a table renamed between the structure stage and the full load fails the load naming both names; renamed back, the load finishes', async () => {
    const db = await pair.source.createDatabase('mf_drift_rename')
    const tdb = `${db}_t`
    await pair.source.query(
      `CREATE TABLE first (id int PRIMARY KEY, v text);
       CREATE TABLE second (id int PRIMARY KEY, v text);
       INSERT INTO first SELECT g, 'f' || g FROM generate_series(1, 300) g;
       INSERT INTO second SELECT g, 's' || g FROM generate_series(1, 300) g;`,
      [],
      db,
    )
    const task = await structuredFullTask(db, tdb)
    try {
      await pair.source.query(`ALTER TABLE second RENAME TO second_renamed`, [], db)
      const error = (await task.fullLoad().catch((e: unknown) => e)) as PgferryError
      expect(error.code).toBe('PGFERRY_MANIFEST_RELATION_MISSING')
      expect(error.message).toContain('public.second (now public.second_renamed)')
      expect(error.fix).toMatch(/rename it back/)
      await pair.source.query(`ALTER TABLE second_renamed RENAME TO second`, [], db)
      await task.fullLoad()
      for (const t of ['first', 'second'])
        expect(await tableDigest(pair.target, tdb, t)).toEqual(
          await tableDigest(pair.source, db, t),
        )
    } finally {
      await task.close()
    }
  }, 120_000)
})
