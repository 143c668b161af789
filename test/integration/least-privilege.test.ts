/**
 * A least-privilege migration: source and target users that are not superusers and hold exactly
 * what the precheck asks for (its fixes run by a DBA, nothing else), through a whole
 * `full+incremental` migration with writes and `complete`, compared row by row. Once with the
 * publication pgferry creates (the source user must own the tables: membership in their owner
 * role), once with a publication the DBA made (task option `publication`), which pgferry checks
 * and never drops (issue 10, "never harm the source": privileges).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask, type Task, type TaskConfig } from '../../src/index.js'
import { isPgferryError } from '../../src/errors.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { INCREMENTAL_SCHEMA, digests, writeStep } from '../harness/incremental-fixture.js'
import { spawnTs } from '../harness/child.js'
import { applyFixes } from './precheck-helpers.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

/** A source db whose tables belong to a non-superuser `<db>_app`, and two bare login roles. */
async function setUp(
  prefix: string,
): Promise<{ db: string; su: string; tu: string; home: string }> {
  const db = await pair.source.createDatabase(prefix)
  // the target connection's database, where the store lives: one per test, as the store schema
  // belongs to the first user that made it
  const home = await pair.target.createDatabase(`${prefix}_home`)
  const [app, su, tu] = [`${db}_app`, `${db}_src`, `${db}_tgt`]
  await pair.source.query(`CREATE ROLE ${app}; CREATE ROLE ${su} LOGIN`)
  await pair.target.query(`CREATE ROLE ${tu} LOGIN`)
  await pair.source.query(INCREMENTAL_SCHEMA, [], db)
  // a hardened source: the cutover fence's function is not PUBLIC's; precheck must ask for it
  await pair.source.query(
    `REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC`,
    [],
    db,
  )
  await pair.source.query(
    `DO $$DECLARE r record; BEGIN
       FOR r IN SELECT c.oid::regclass AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') LOOP
         EXECUTE format('ALTER TABLE %s OWNER TO ${app}', r.t);
       END LOOP; END$$`,
    [],
    db,
  )
  return { db, su, tu, home }
}

/** createTask, running the fix of a store failure (the one thing asked before the precheck). */
async function create(config: TaskConfig): Promise<Task> {
  try {
    return await createTask(config)
  } catch (error) {
    if (!isPgferryError(error, 'PGFERRY_STORE_FAILED') || error.fix === undefined) throw error
    await pair.target.query(error.fix, [], (config.target as { database: string }).database)
    return createTask(config)
  }
}

/** Precheck; run the fixes of every failed item as the DBA; precheck again: it must pass. */
async function grantWhatPrecheckAsks(task: Task): Promise<string[]> {
  const first = await task.precheck()
  const failed = first.items.filter((i) => i.status === 'fail')
  for (const i of failed) await applyFixes(i, pair)
  const again = await task.precheck()
  expect(again.items.filter((i) => i.status === 'fail')).toEqual([])
  return failed.map((i) => i.id)
}

async function migrate(task: Task, db: string): Promise<void> {
  await task.migrateSchema()
  await task.fullLoad()
  const c = await pair.source.client(db)
  try {
    await task.startIncremental()
    for (let i = 1; i <= 10; i++) await writeStep(c, i)
    await c.query(`TRUNCATE parts_eu`)
    await task.complete()
  } finally {
    await c.end()
  }
  expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
  for (const t of ['parts_eu', 'parts_us'])
    expect(
      (await pair.target.query(`SELECT count(*)::int AS n FROM ${t}`, [], db)).rows[0],
    ).toEqual((await pair.source.query(`SELECT count(*)::int AS n FROM ${t}`, [], db)).rows[0])
  const slots = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
  expect(slots.rows).toEqual([])
}

describe('least privilege, full+incremental with complete (16 → 16)', () => {
  it('the publication pgferry creates: exactly the precheck fixes, no superuser, equal and clean', async () => {
    const { db, su, tu, home } = await setUp('lp_own')
    const task = await create({
      name: 'least privilege',
      source: { ...pair.source.config(db), user: su },
      target: { ...pair.target.config(home), user: tu },
      type: 'full+incremental',
      objects: { databases: { [db]: true } },
      ownership: 'target-user',
    })
    try {
      const granted = await grantWhatPrecheckAsks(task)
      expect(granted).toEqual(
        expect.arrayContaining([
          'source.replication-role',
          'source.privileges',
          'source.publication',
          'source.cutover-fence',
        ]),
      )
      for (const [c, u] of [
        [pair.source, su],
        [pair.target, tu],
      ] as const) {
        const r = await c.query<{ s: boolean }>(
          `SELECT rolsuper AS s FROM pg_roles WHERE rolname = $1`,
          [u],
        )
        expect(r.rows[0]?.s).toBe(false)
      }
      await migrate(task, db)
      expect((await pair.source.query(`SELECT pubname FROM pg_publication`, [], db)).rows).toEqual(
        [],
      )
    } finally {
      await task.close()
    }
  }, 240_000)

  it("a DBA's publication (option publication): no ownership or CREATE needed, checked, never dropped", async () => {
    const { db, su, tu, home } = await setUp('lp_dba')
    const task = await create({
      name: 'least privilege, DBA publication',
      source: { ...pair.source.config(db), user: su },
      target: { ...pair.target.config(home), user: tu },
      type: 'full+incremental',
      objects: { databases: { [db]: true } },
      ownership: 'target-user',
      publication: 'dba_pub',
    })
    try {
      const first = await task.precheck()
      const pub = first.items.find((i) => i.id === 'source.publication')
      expect(pub?.status).toBe('fail')
      expect(pub?.fix).toMatch(/CREATE PUBLICATION "dba_pub" FOR TABLE/)
      await grantWhatPrecheckAsks(task)
      const own = await pair.source.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class WHERE pg_has_role($1, relowner, 'USAGE') AND relnamespace = 'public'::regnamespace`,
        [su],
        db,
      )
      expect(own.rows[0]?.n).toBe(0)
      const create = await pair.source.query<{ ok: boolean }>(
        `SELECT has_database_privilege($1, current_database(), 'CREATE') AS ok`,
        [su],
        db,
      )
      expect(create.rows[0]?.ok).toBe(false)
      // a table the DBA dropped from the publication after the load: the sync refuses to start
      await task.migrateSchema()
      await task.fullLoad()
      await pair.source.query(`ALTER PUBLICATION dba_pub DROP TABLE keyed`, [], db)
      const error = await task.startIncremental().catch((e: unknown) => e)
      expect(isPgferryError(error, 'PGFERRY_PUBLICATION_INCOMPLETE')).toBe(true)
      expect((error as Error).message).toMatch(/keyed/)
      await pair.source.query(`ALTER PUBLICATION dba_pub ADD TABLE keyed`, [], db)
      await migrate(task, db)
      expect((await pair.source.query(`SELECT pubname FROM pg_publication`, [], db)).rows).toEqual([
        { pubname: 'dba_pub' },
      ])
    } finally {
      await task.close()
    }
  }, 240_000)

  it('the CLI takes --publication: its precheck names a missing publication with the CREATE PUBLICATION fix', async () => {
    const { db } = await setUp('lp_cli')
    const child = spawnTs('src/cli/main.ts', [
      'precheck',
      '--source',
      pair.source.url(db),
      '--target',
      pair.target.url(),
      '--type',
      'full+incremental',
      '--database',
      db,
      '--publication',
      'not_there',
      '--json',
    ])
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((r) => child.on('exit', r))
    expect(code, out).toBe(1)
    const report = JSON.parse(out) as { items: { id: string; status: string; fix?: string }[] }
    const pub = report.items.find((i) => i.id === 'source.publication')
    expect(pub?.status).toBe('fail')
    expect(pub?.fix).toMatch(/CREATE PUBLICATION "not_there" FOR TABLE/)
  }, 120_000)

  it('a publication that misses a table or publishes via the root fails the precheck and the full load', async () => {
    const { db } = await setUp('lp_gap')
    await pair.source.query(
      `CREATE PUBLICATION gap_pub FOR TABLE items WITH (publish_via_partition_root = true)`,
      [],
      db,
    )
    const task = await create({
      name: 'publication gaps',
      source: pair.source.config(db),
      target: pair.target.config('postgres'),
      type: 'full+incremental',
      objects: { databases: { [db]: true } },
      publication: 'gap_pub',
    })
    try {
      const report = await task.precheck()
      const pub = report.items.find((i) => i.id === 'source.publication')
      expect(pub?.status).toBe('fail')
      expect(pub?.fix).toMatch(/ALTER PUBLICATION "gap_pub" ADD TABLE .*"public"."fullrows"/)
      expect(pub?.fix).toMatch(/publish_via_partition_root = false/)
      await task.precheck({ skip: ['source.publication'] })
      await task.migrateSchema()
      const error = await task.fullLoad().catch((e: unknown) => e)
      expect(isPgferryError(error, 'PGFERRY_PUBLICATION_INCOMPLETE')).toBe(true)
    } finally {
      await task.delete().catch(() => undefined)
      await task.close()
    }
  }, 120_000)

  it("a second target user on the store schema another user made: the error's fix is the GRANTs, which make it work", async () => {
    const { db } = await setUp('lp_store')
    const home = await pair.target.createDatabase('lp_store_home')
    const [first, second] = [`${home}_a`, `${home}_b`]
    await pair.target.query(
      `CREATE ROLE ${first} LOGIN; CREATE ROLE ${second} LOGIN; GRANT CREATE ON DATABASE ${home} TO ${first}`,
    )
    const config = (user: string): TaskConfig => ({
      name: `store of ${user}`,
      source: pair.source.config(db),
      target: { ...pair.target.config(home), user },
      type: 'structure',
      objects: { databases: { [db]: true } },
    })
    await (await createTask(config(first))).close()
    const error = await createTask(config(second)).catch((e: unknown) => e)
    expect(isPgferryError(error, 'PGFERRY_STORE_FAILED')).toBe(true)
    const fix = (error as { fix?: string }).fix ?? ''
    expect(fix).toContain(`GRANT USAGE ON SCHEMA "pgferry" TO "${second}";`)
    expect(fix).toContain(`as "${first}"`)
    await pair.target.query(fix, [], home)
    const task = await createTask(config(second))
    try {
      expect(
        (await pair.target.query(`SELECT count(*)::int AS n FROM pgferry.task`, [], home)).rows,
      ).toEqual([{ n: 2 }])
      // the store takes its state moves, progress and events (the precheck's verdict is not the point)
      await task.precheck()
      expect(await task.refresh()).not.toBe('created')
      expect((await task.store.listEvents(task.id)).length).toBeGreaterThan(0)
    } finally {
      await task.close()
    }
  }, 120_000)
})
