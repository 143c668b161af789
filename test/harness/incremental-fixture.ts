/**
 * Fixture of the incremental tests: a source database whose tables cover every apply path (a
 * primary key, REPLICA IDENTITY FULL without a key, an out-of-line TOAST column, a foreign-key
 * pair for a multi-table TRUNCATE, a renamed-free partitioned table, a serial sequence), a writer
 * that runs every DML kind, and the row-by-row oracle (ordered md5 per table, by SQL on each side).
 */
import type pg from 'pg'
import { createTask, type Task } from '../../src/index.js'
import type { ObjectSelection, TaskConfig } from '../../src/model/task-config.js'
import type { Cluster, ClusterPair } from './cluster.js'
import { passPrecheck } from './pass-precheck.js'

export const INCREMENTAL_SCHEMA = `
CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL, n numeric(14,4), at timestamptz, js jsonb, flag boolean, tags text[]);
CREATE TABLE fullrows (a int, b text, j json);
ALTER TABLE fullrows REPLICA IDENTITY FULL;
CREATE TABLE toasty (id int PRIMARY KEY, big text, small int);
ALTER TABLE toasty ALTER COLUMN big SET STORAGE EXTERNAL;
CREATE TABLE parent (id int PRIMARY KEY, v text);
CREATE TABLE child (id int PRIMARY KEY, parent_id int REFERENCES parent (id), v text);
CREATE TABLE keyed (k1 int, k2 text, v text, PRIMARY KEY (k1, k2));
CREATE TABLE parts (id int, region text, v text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu');
CREATE TABLE parts_us PARTITION OF parts FOR VALUES IN ('us');
INSERT INTO parts SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 'p' || g FROM generate_series(1, 100) g;
CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
INSERT INTO ident (v) SELECT 'i' || g FROM generate_series(1, 50) g;
INSERT INTO items (name, n, at, js, flag, tags)
  SELECT 'item ' || g, g / 7.0, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute', jsonb_build_object('g', g), g % 2 = 0, ARRAY['a', g::text]
    FROM generate_series(1, 2000) g;
INSERT INTO fullrows SELECT g % 50, 'row ' || (g % 50), json_build_object('x', g % 50) FROM generate_series(1, 200) g;
INSERT INTO toasty SELECT g, (SELECT string_agg(md5(g::text || ':' || x), '') FROM generate_series(1, 200) x), g FROM generate_series(1, 20) g;
INSERT INTO parent SELECT g, 'p' || g FROM generate_series(1, 100) g;
INSERT INTO child SELECT g, 1 + g % 100, 'c' || g FROM generate_series(1, 300) g;
INSERT INTO keyed SELECT g, 'k' || g, 'v' || g FROM generate_series(1, 100) g;
`

export const INCREMENTAL_TABLES = [
  'items',
  'fullrows',
  'toasty',
  'parent',
  'child',
  'keyed',
] as const

/** Ordered md5 of every row of `table` (rows as text, sorted), by SQL on that side. */
export async function tableDigest(cluster: Cluster, db: string, table: string): Promise<string> {
  const r = await cluster.query<{ h: string; n: string }>(
    `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h, count(*)::text AS n FROM ${table} t`,
    [],
    db,
  )
  return `${r.rows[0]?.n ?? '?'}:${r.rows[0]?.h ?? '?'}`
}

/** Digests of every fixture table (in `schema`, when given). */
export async function digests(
  cluster: Cluster,
  db: string,
  schema?: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const t of INCREMENTAL_TABLES)
    out[t] = await tableDigest(cluster, db, schema === undefined ? t : `"${schema}".${t}`)
  return out
}

/** One writer step `i`: every DML kind, on every table, in a few transactions. */
export async function writeStep(c: pg.Client, i: number): Promise<void> {
  await c.query(
    `INSERT INTO items (name, n, at, js, flag, tags) VALUES ($1, $2, now(), jsonb_build_object('i', $3::int), $4, ARRAY['x', $1])`,
    [`new ${i}`, i / 3, i, i % 2 === 0],
  )
  await c.query(`UPDATE items SET n = n + 1, name = name || '+' WHERE id = $1`, [
    1 + ((i * 7) % 1500),
  ])
  await c.query(`DELETE FROM items WHERE id = $1`, [1500 + i])
  await c.query('BEGIN')
  await c.query(
    `INSERT INTO fullrows VALUES ($1::int, 'row ' || $1::int, json_build_object('x', $1::int))`,
    [i % 50],
  )
  await c.query(
    `DELETE FROM fullrows WHERE ctid = (SELECT ctid FROM fullrows WHERE a = $1 LIMIT 1)`,
    [(i + 25) % 50],
  )
  await c.query(
    `UPDATE fullrows SET b = b || '!' WHERE ctid = (SELECT ctid FROM fullrows WHERE a = $1 LIMIT 1)`,
    [(i + 10) % 50],
  )
  await c.query('COMMIT')
  // the big column is not in the UPDATE: it is sent as unchanged TOAST
  await c.query(`UPDATE toasty SET small = small + 1 WHERE id = $1`, [1 + (i % 20)])
  await c.query(`UPDATE keyed SET k2 = k2 || 'x', v = v || '.' WHERE k1 = $1`, [1 + (i % 100)])
  await c.query(`UPDATE child SET v = v || '.' WHERE id = $1`, [1 + (i % 300)])
  // a GENERATED ALWAYS identity key: the apply must insert the source's value and never SET it
  await c.query(`INSERT INTO ident (v) VALUES ($1)`, [`w${i}`])
  await c.query(`UPDATE ident SET v = v || '.' WHERE id = $1`, [1 + (i % 50)])
  // partitions: every change arrives under its leaf partition (issue 10 item 2)
  await c.query(
    `INSERT INTO parts VALUES ($1::int + 1000, CASE WHEN $1::int % 2 = 0 THEN 'eu' ELSE 'us' END, 'new')`,
    [i],
  )
  await c.query(`UPDATE parts SET v = v || '.' WHERE id = $1::int`, [1 + (i % 100)])
  await c.query(`DELETE FROM parts WHERE id = $1::int`, [100 - (i % 100)])
}

/** A writer running `writeStep` in a loop until stopped. */
export function startWriter(c: pg.Client): { steps: () => number; stop: () => Promise<number> } {
  let i = 0
  let stopping = false
  const loop = (async () => {
    while (!stopping) await writeStep(c, ++i)
  })()
  loop.catch(() => undefined)
  return {
    steps: () => i,
    stop: async () => {
      stopping = true
      await loop
      return i
    },
  }
}

/** Options of {@link structuredTask} and {@link loadedTask}. */
export interface FixtureTaskOptions {
  readonly id?: string
  readonly objects?: ObjectSelection
  readonly config?: Partial<TaskConfig>
}

/** A full+incremental task over `db`, run through precheck and structure. */
export async function structuredTask(
  pair: ClusterPair,
  db: string,
  options: FixtureTaskOptions = {},
): Promise<Task> {
  const task = await createTask({
    ...(options.id !== undefined ? { id: options.id } : {}),
    name: `incremental ${db}`,
    source: pair.source.config(db),
    target: pair.target.config('postgres'),
    type: 'full+incremental',
    objects: options.objects ?? { databases: { [db]: true } },
    ...options.config,
  })
  await passPrecheck(task)
  await task.migrateSchema()
  return task
}

/** A full+incremental task over `db`, run through precheck, structure and full load. */
export async function loadedTask(
  pair: ClusterPair,
  db: string,
  options: FixtureTaskOptions = {},
): Promise<Task> {
  const task = await structuredTask(pair, db, options)
  await task.fullLoad()
  return task
}

/**
 * What a task may leave on the servers: every slot (cluster-wide) and every publication of `db` on
 * the source, and every replication origin on the target. Empty once a task is completed or
 * deleted.
 */
export async function leftovers(pair: ClusterPair, db: string): Promise<unknown[]> {
  return [
    ...(await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)).rows,
    ...(await pair.source.query(`SELECT pubname FROM pg_publication`, [], db)).rows,
    ...(await pair.target.query(`SELECT roname FROM pg_replication_origin`)).rows,
  ]
}

/** Poll `check` until it returns true; fails after `ms` (a bound, not a timed assertion). */
export async function eventually(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
