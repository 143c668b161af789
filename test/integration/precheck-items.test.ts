/**
 * Every source/target/selection item in each of its states on a 16 → 16 pair: each test builds its
 * own databases, asserts status and the objects named, executes the `fixes` as the superuser and
 * re-runs the precheck to see the item pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PRECHECK_ITEM_IDS } from '../../src/precheck/precheck-items.js'
import { createTask, type PgferryEvents, type PrecheckReport } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { applyFixes, item, runPrecheck, waitForSetting } from './precheck-helpers.js'

const PASSWORD = 'Pw-never-shown-4711'
let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16, { max_prepared_transactions: 5 })
  await pair.source.query(`CREATE ROLE reader LOGIN PASSWORD '${PASSWORD}'`)
  await pair.target.query(`CREATE ROLE writer LOGIN PASSWORD '${PASSWORD}'`)
})
afterAll(async () => {
  await pair?.stop()
})

const src = (
  db: string,
  user = 'postgres',
): { host: string; port: number; user: string; database: string; password: string } => ({
  host: pair.source.host,
  port: pair.source.port,
  user,
  database: db,
  password: PASSWORD,
})
const tgt = (
  db = 'postgres',
  user = 'postgres',
): { host: string; port: number; user: string; database: string; password: string } => ({
  host: pair.target.host,
  port: pair.target.port,
  user,
  database: db,
  password: PASSWORD,
})

function statuses(report: PrecheckReport): Record<string, string> {
  return Object.fromEntries(report.items.map((i) => [i.id, i.status]))
}

describe('precheck items on 16 → 16', () => {
  it('passes on a clean pair, lists every item once, and names the free space it could not see', async () => {
    const db = await pair.source.createDatabase('clean')
    await pair.source.query(
      `CREATE TABLE a (id int PRIMARY KEY, v text);
       CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);
       CREATE VIEW va AS SELECT * FROM a;
       CREATE FUNCTION fa() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.a';
       CREATE EXTENSION citext;
       CREATE TABLE c (id int PRIMARY KEY, name citext);
       INSERT INTO a SELECT g, 'x' FROM generate_series(1, 1000) g;`,
      [],
      db,
    )
    const report = await runPrecheck({ source: src(db), target: tgt(), type: 'full+incremental' })
    expect(report.items.map((i) => i.id)).toEqual([...PRECHECK_ITEM_IDS])
    const notPass = report.items.filter((i) => i.status !== 'pass')
    expect(notPass.map((i) => `${i.id}:${i.status}`)).toEqual(['target.free-space:warn'])
    expect(item(report, 'target.free-space').message).toMatch(/could not be read/)
    expect(item(report, 'target.extensions').message).toContain('citext')
    expect(report.ok).toBe(true)
    expect(report.closure).toBeUndefined()
  })

  it('source.privileges and source.replication-role: names each missing grant, the GRANTs fix them', async () => {
    const db = await pair.source.createDatabase('priv')
    await pair.source.query(
      `CREATE SCHEMA "Shop Ü";
       CREATE TABLE "Shop Ü"."Order" (id serial PRIMARY KEY);
       CREATE TABLE "Shop Ü".line (id int PRIMARY KEY);
       CREATE SEQUENCE "Shop Ü".free_seq;
       SELECT lo_from_bytea(424242, 'blob');`,
      [],
      db,
    )
    await pair.source.query(`REVOKE CONNECT ON DATABASE ${db} FROM PUBLIC`)
    const config = {
      source: src('postgres', 'reader'),
      target: tgt(),
      type: 'full+incremental' as const,
      objects: { databases: { [db]: { schemas: { 'Shop Ü': true as const } } } },
    }
    const events: PgferryEvents['precheck:item'][] = []
    const task = await createTask({ name: 'privileges', store: 'memory', ...config })
    task.on('precheck:item', (e) => events.push(e))
    let report = await task.precheck()
    await task.close()
    expect(report.ok).toBe(false)
    const role = item(report, 'source.replication-role')
    expect(role.status).toBe('fail')
    expect(role.fix).toContain('ALTER ROLE "reader" WITH REPLICATION;')
    let priv = item(report, 'source.privileges')
    expect(priv.status).toBe('fail')
    expect(priv.objects).toEqual([db])
    expect(priv.fix).toContain(`GRANT CONNECT ON DATABASE "${db}" TO "reader";`)
    for (const text of [JSON.stringify(report), JSON.stringify(events)])
      expect(text).not.toContain(PASSWORD)
    expect(events.find((e) => e.id === 'source.privileges')?.fix).toBe(priv.fix)
    await applyFixes(role, pair)
    await applyFixes(priv, pair)

    // with CONNECT, the schema, tables, sequences and the large object can be looked at
    report = await runPrecheck(config)
    expect(item(report, 'source.replication-role').status).toBe('pass')
    priv = item(report, 'source.privileges')
    expect(priv.status).toBe('fail')
    expect([...(priv.objects ?? [])].sort()).toEqual(
      [
        `${db}.Shop Ü`,
        `${db}.Shop Ü.Order`,
        `${db}.Shop Ü.Order_id_seq`,
        `${db}.Shop Ü.free_seq`,
        `${db}.Shop Ü.line`,
        `${db} large object 424242`,
      ].sort(),
    )
    expect(priv.fix).toContain('GRANT USAGE ON SCHEMA "Shop Ü" TO "reader";')
    expect(priv.fix).toContain(
      'GRANT SELECT ON TABLE "Shop Ü"."Order", "Shop Ü"."line" TO "reader";',
    )
    expect(priv.fix).toContain('GRANT SELECT ON LARGE OBJECT 424242 TO "reader";')
    expect(priv.fixes?.[0]?.database).toBe(db)
    await applyFixes(priv, pair)
    report = await runPrecheck(config)
    expect(item(report, 'source.privileges').status).toBe('pass')

    // one table revoked again: exactly that one is named
    await pair.source.query(`REVOKE SELECT ON "Shop Ü".line FROM reader`, [], db)
    report = await runPrecheck(config)
    priv = item(report, 'source.privileges')
    expect(priv.objects).toEqual([`${db}.Shop Ü.line`])
    expect(priv.fixes?.[0]?.sql).toBe('GRANT SELECT ON TABLE "Shop Ü"."line" TO "reader";')
  })

  it('source.replica-identity fails per no-PK table (full+incremental) with the harm and the fix; source.unlogged-tables fails; fixes and skip', async () => {
    const db = await pair.source.createDatabase('ident')
    await pair.source.query(
      `CREATE TABLE keyed (id int PRIMARY KEY);
       CREATE TABLE "no PK" (v text);
       CREATE TABLE nothing (id int PRIMARY KEY);
       ALTER TABLE nothing REPLICA IDENTITY NOTHING;
       CREATE TABLE uniq (code text NOT NULL, v text);
       CREATE UNIQUE INDEX uniq_code ON uniq (code);
       CREATE TABLE full_ident (v text);
       ALTER TABLE full_ident REPLICA IDENTITY FULL;
       CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY);`,
      [],
      db,
    )
    const config = { source: src(db), target: tgt(), type: 'full+incremental' as const }
    let report = await runPrecheck(config)
    const ident = item(report, 'source.replica-identity')
    expect(ident.status).toBe('fail')
    expect([...(ident.objects ?? [])].sort()).toEqual([
      `${db}.public.no PK`,
      `${db}.public.nothing`,
      `${db}.public.uniq`,
    ])
    expect(ident.message).toContain(
      'while the task exists, UPDATE and DELETE on this table fail on the source',
    )
    expect(ident.message).toContain(`replicaIdentity: 'full-for-keyless'`)
    expect(ident.fix).toContain('ALTER TABLE "public"."no PK" REPLICA IDENTITY FULL;')
    // a unique index over NOT NULL columns is the lighter identity
    expect(ident.fix).toContain(
      'ALTER TABLE "public"."uniq" REPLICA IDENTITY USING INDEX "uniq_code";',
    )
    // with the option, pgferry sets the identity itself: the item passes and says so
    const opted = item(
      await runPrecheck({ ...config, replicaIdentity: 'full-for-keyless' }),
      'source.replica-identity',
    )
    expect(opted.status).toBe('pass')
    expect(opted.message).toContain('REPLICA IDENTITY FULL')
    const unlogged = item(report, 'source.unlogged-tables')
    expect(unlogged.status).toBe('fail')
    expect(unlogged.objects).toEqual([`${db}.public.scratch`])
    expect(unlogged.message).toContain(`exclude: ['scratch']`)
    expect(report.ok).toBe(false)

    // a full task copies unlogged tables once and replicates nothing: both pass
    const full = await runPrecheck({ ...config, type: 'full' })
    expect(statuses(full)['source.unlogged-tables']).toBe('pass')
    expect(statuses(full)['source.replica-identity']).toBe('pass')

    // skipping the failed item: the task becomes ready and the store records it
    const task = await createTask({ name: 'skip', store: 'memory', ...config })
    try {
      // not skipped: the task cannot go on
      expect((await task.precheck()).ok).toBe(false)
      expect(task.state).toBe('precheck_failed')
      await expect(task.migrateSchema()).rejects.toMatchObject({
        code: 'PGFERRY_TASK_PRECHECK_FAILED',
      })
      await expect(task.run()).rejects.toMatchObject({ code: 'PGFERRY_TASK_PRECHECK_FAILED' })
      report = await task.precheck({
        skip: ['source.unlogged-tables', 'source.replica-identity'],
      })
      expect(item(report, 'source.unlogged-tables').status).toBe('skipped')
      expect(report.ok).toBe(true)
      expect(task.state).toBe('ready')
      expect((await task.store.loadTask(task.id))?.skippedChecks).toEqual([
        'source.unlogged-tables',
        'source.replica-identity',
      ])
      await expect(task.precheck({ skip: ['source.no-such-item'] })).rejects.toMatchObject({
        code: 'PGFERRY_PRECHECK_ITEM_UNKNOWN',
      })
    } finally {
      await task.close()
    }

    // excluding the unlogged table is the other way out
    const excluded = await runPrecheck({
      ...config,
      objects: { databases: { [db]: { schemas: { public: { exclude: ['scratch'] } } } } },
    })
    expect(statuses(excluded)['source.unlogged-tables']).toBe('pass')

    await applyFixes(ident, pair)
    await applyFixes(unlogged, pair)
    report = await runPrecheck(config)
    expect(statuses(report)['source.replica-identity']).toBe('pass')
    expect(statuses(report)['source.unlogged-tables']).toBe('pass')
  })

  it('selection.dependencies names each missing dependency; report.closure and includeDependencies pass', async () => {
    const db = await pair.source.createDatabase('deps')
    await pair.source.query(
      `CREATE SCHEMA app; CREATE SCHEMA lib;
       CREATE TABLE app.a (id int PRIMARY KEY);
       CREATE TABLE app.b (id int PRIMARY KEY, a_id int REFERENCES app.a);
       CREATE TABLE app.c (id int PRIMARY KEY);
       CREATE TABLE app.d (id int PRIMARY KEY);
       CREATE TABLE app.e (id int PRIMARY KEY);
       CREATE VIEW app.v AS SELECT id FROM app.a;
       CREATE VIEW app.vv AS SELECT id FROM app.v;
       CREATE FUNCTION app.f() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN RETURN (SELECT count(*) FROM c); END $$;
       CREATE FUNCTION lib.trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO app.e VALUES (NEW.id); RETURN NEW; END $$;
       CREATE TRIGGER t AFTER INSERT ON app.d FOR EACH ROW EXECUTE FUNCTION lib.trg();
       CREATE FUNCTION app.g() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM app.e; END;`,
      [],
      db,
    )
    const objects = {
      databases: {
        [db]: { schemas: { app: { tables: ['b', 'd'], views: ['vv'], functions: ['f', 'g'] } } },
      },
    }
    const config = { source: src(db), target: tgt(), type: 'full' as const, objects }
    const report = await runPrecheck(config)
    const deps = item(report, 'selection.dependencies')
    expect(deps.status).toBe('fail')
    expect(report.ok).toBe(false)
    for (const text of [
      `app.b needs app.a (foreign-key)`,
      `app.vv needs app.v (view)`,
      `app.f() needs app.c (function-body)`,
      `app.d needs lib.trg() (trigger)`,
      `app.g() needs app.e (function)`,
    ])
      expect(deps.message).toContain(text)
    // the closure goes on: app.v needs app.a, lib.trg() needs app.e
    expect(report.closure).toBeDefined()
    const closure = report.closure!
    const app = (
      closure.databases[db] as { schemas: Record<string, { tables?: string[]; views?: string[] }> }
    ).schemas
    expect([...(app.app?.tables ?? [])].sort()).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect([...(app.app?.views ?? [])].sort()).toEqual(['v', 'vv'])
    expect(app.lib).toEqual({ functions: ['trg'] })

    const withClosure = await runPrecheck({ ...config, objects: closure })
    expect(item(withClosure, 'selection.dependencies').status).toBe('pass')
    expect(withClosure.closure).toBeUndefined()
    const included = await runPrecheck({
      ...config,
      objects: { ...objects, includeDependencies: true },
    })
    expect(item(included, 'selection.dependencies').status).toBe('pass')
    expect(item(included, 'selection.dependencies').message).toContain('includeDependencies')

    // a name that is not on the source
    const typo = await runPrecheck({
      ...config,
      objects: {
        databases: { [db]: { schemas: { app: { tables: ['a', 'nope'] } } }, no_such_db: true },
      },
    })
    const exist = item(typo, 'selection.objects-exist')
    expect(exist.status).toBe('fail')
    expect([...(exist.objects ?? [])].sort()).toEqual(
      [`${db}.app.nope`, 'database no_such_db'].sort(),
    )
  })

  it('target items: name conflicts, ownership, encoding, settings — each fix turns them to pass', async () => {
    const db = await pair.source.createDatabase('tgt')
    await pair.source.query(
      `CREATE SCHEMA app;
       CREATE TABLE app.orders (id int PRIMARY KEY);
       CREATE TYPE app.mood AS ENUM ('ok', 'meh');
       CREATE FUNCTION app.total(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
       CREATE TABLE app.fresh (id int PRIMARY KEY);`,
      [],
      db,
    )
    // target database of the same name, owned by postgres, with objects in the way
    await pair.target.query(`CREATE DATABASE ${db}`)
    await pair.target.query(
      `CREATE SCHEMA app;
       CREATE TABLE app.orders (x int);
       CREATE VIEW app.mood AS SELECT 1 AS one;
       CREATE FUNCTION app.total(y int) RETURNS int LANGUAGE sql AS 'SELECT y';
       CREATE TABLE app.other (id int);
       CREATE INDEX fresh_pkey ON app.other (id);`,
      [],
      db,
    )
    await pair.target.query(`ALTER DATABASE ${db} SET "TimeZone" TO 'Asia/Tokyo'`)
    const config = { source: src(db), target: tgt('postgres', 'writer'), type: 'full' as const }
    let report = await runPrecheck(config)
    const conflicts = item(report, 'target.name-conflicts')
    expect(conflicts.status).toBe('fail')
    expect([...(conflicts.objects ?? [])].sort()).toEqual(
      [
        `${db}.app.orders`,
        `${db}.app.mood`,
        `${db}.app.total(integer)`,
        `${db}.app.fresh_pkey`,
      ].sort(),
    )
    expect(conflicts.fix).toContain('DROP VIEW IF EXISTS "app"."mood";')
    expect(conflicts.fix).toContain('DROP TABLE IF EXISTS "app"."orders";')
    const owner = item(report, 'target.database-ownership')
    expect(owner.status).toBe('fail')
    expect(owner.fix).toContain(`ALTER DATABASE "${db}" OWNER TO "writer";`)
    const settings = item(report, 'target.settings')
    expect(settings.status).toBe('warn')
    expect(settings.objects).toEqual(['TimeZone'])
    expect(settings.fixes?.[0]?.sql).toMatch(
      new RegExp(`^ALTER DATABASE "${db}" SET "TimeZone" TO '`),
    )
    expect(item(report, 'target.encoding').status).toBe('pass')
    await applyFixes(conflicts, pair)
    await applyFixes(owner, pair)
    await applyFixes(settings, pair)
    report = await runPrecheck(config)
    for (const id of ['target.name-conflicts', 'target.database-ownership', 'target.settings'])
      expect(`${id}:${item(report, id).status}`).toBe(`${id}:pass`)
    // once the structure stage has run, what is on the target is the task's own: no conflict
    await pair.target.query(`CREATE TABLE app.orders (x int)`, [], db)
    const resumed = await createTask({ name: 'after schema', store: 'memory', ...config })
    try {
      expect(item(await resumed.precheck(), 'target.name-conflicts').status).toBe('fail')
      await resumed.store.updateTask(resumed.id, { state: 'running_full_load', stage: 'fullload' })
      const again = await resumed.precheck()
      expect(item(again, 'target.name-conflicts').status).toBe('pass')
      expect(item(again, 'target.name-conflicts').message).toContain("this task's own")
    } finally {
      await resumed.close()
    }
    // the unrelated table was left alone
    expect(
      (await pair.target.query(`SELECT to_regclass('app.other') AS r`, [], db)).rows[0]?.r,
    ).toBe('app.other')

    // a target database that does not exist: no conflicts, but the target user must be able to create it
    const missing = await runPrecheck({
      ...config,
      objects: { databases: { [db]: { as: `${db}_new` } } },
    })
    expect(item(missing, 'target.name-conflicts').status).toBe('pass')
    const create = item(missing, 'target.database-ownership')
    expect(create.status).toBe('fail')
    expect(create.fix).toContain('ALTER ROLE "writer" CREATEDB;')
    await applyFixes(create, pair)
    const canCreate = await runPrecheck({
      ...config,
      objects: { databases: { [db]: { as: `${db}_new` } } },
    })
    expect(item(canCreate, 'target.database-ownership').status).toBe('pass')
  })

  it('target.encoding fails on another encoding and warns on another locale; recreating fixes it', async () => {
    const db = await pair.source.createDatabase('enc')
    await pair.target.query(
      `CREATE DATABASE ${db} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
    )
    const config = { source: src(db), target: tgt(), type: 'full' as const }
    let report = await runPrecheck(config)
    const enc = item(report, 'target.encoding')
    expect(enc.status).toBe('fail')
    expect(enc.objects).toEqual([db])
    expect(enc.message).toContain('LATIN1')
    expect(enc.fix).toContain(`DROP DATABASE "${db}";`)
    await applyFixes(enc, pair)
    report = await runPrecheck(config)
    expect(item(report, 'target.encoding').status).toBe('pass')

    const loc = await pair.source.createDatabase('loc')
    await pair.target.query(
      `CREATE DATABASE ${loc} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0`,
    )
    report = await runPrecheck({ ...config, source: src(loc) })
    const l = item(report, 'target.encoding')
    expect(l.status).toBe('warn')
    expect(l.message).toContain('C.UTF-8')
    await applyFixes(l, pair)
    report = await runPrecheck({ ...config, source: src(loc) })
    expect(item(report, 'target.encoding').status).toBe('pass')
  })

  it('target.free-space fails or passes against a measured figure, and warns without one', async () => {
    const db = await pair.source.createDatabase('space')
    await pair.source.query(
      `CREATE TABLE big AS SELECT g AS id, repeat('x', 200) AS pad FROM generate_series(1, 20000) g`,
      [],
      db,
    )
    const bytes = Number(
      (
        await pair.source.query<{ n: string }>(
          `SELECT pg_total_relation_size('big')::text AS n`,
          [],
          db,
        )
      ).rows[0]?.n,
    )
    const needed = Math.ceil(bytes * 1.2)
    const config = { source: src(db), target: tgt(), type: 'full' as const }
    const unknown = item(await runPrecheck(config), 'target.free-space')
    expect(unknown.status).toBe('warn')
    expect(unknown.objects).toEqual([String(needed)])
    const short = item(
      await runPrecheck(config, { targetFreeBytes: needed - 1 }),
      'target.free-space',
    )
    expect(short.status).toBe('fail')
    const enough = item(await runPrecheck(config, { targetFreeBytes: needed }), 'target.free-space')
    expect(enough.status).toBe('pass')
    expect(
      item(await runPrecheck({ ...config, type: 'structure' }), 'target.free-space').status,
    ).toBe('pass')
  })

  it('source.bandwidth measures the rate, passes within maxTransferSeconds, warns beyond it or when the probe fails', async () => {
    const db = await pair.source.createDatabase('bandwidth')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY, v text);
       INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g;`,
      [],
      db,
    )
    const config = { source: src(db), target: tgt(), type: 'full+incremental' as const }
    const rate = /measured (\d+(?:\.\d)? (?:bytes|kB|MB|GB|TB)\/s) from the source/

    const started = performance.now()
    const ok = item(await runPrecheck(config), 'source.bandwidth')
    const wall = performance.now() - started
    expect(ok.status).toBe('pass')
    expect(ok.message).toMatch(rate)
    expect(ok.message).toMatch(/within maxTransferSeconds = 3600$/)
    expect(wall).toBeLessThan(10_000)

    // a budget no copy can meet: the warn names the rate, the size, the estimate and how to accept
    const slow = item(await runPrecheck(config, { maxTransferSeconds: 0 }), 'source.bandwidth')
    expect(slow.status).toBe('warn')
    const measured = rate.exec(slow.message)?.[1]
    expect(measured).toBeDefined()
    expect(slow.objects).toEqual([measured])
    expect(slow.message).toMatch(/\d+\.\d kB to copy .* takes about [\d.]+ s at that rate/)
    expect(slow.message).toContain('more than maxTransferSeconds = 0')
    expect(slow.message).toContain('replication slot retains WAL')
    expect(slow.fix).toContain('closer to the source')
    expect(slow.fix).toContain(`skip 'source.bandwidth'`)
    const skipped = await runPrecheck(config, {
      maxTransferSeconds: 0,
      skip: ['source.bandwidth'],
    })
    expect(item(skipped, 'source.bandwidth').status).toBe('skipped')

    // a throttle below the measured rate is the rate the copy gets
    const throttled = item(
      await runPrecheck({ ...config, type: 'full', throttle: { bytesPerSecond: 100 } }),
      'source.bandwidth',
    )
    expect(throttled.status).toBe('warn')
    expect(throttled.message).toContain('capped by throttle.bytesPerSecond to 100 bytes/s')
    expect(throttled.message).not.toContain('replication slot')
    expect(throttled.fix).toMatch(/^raise throttle\.bytesPerSecond/)
    expect(throttled.objects).toEqual(['100 bytes/s'])

    // a structure task copies no data: nothing to measure, never a warn
    const structure = item(
      await runPrecheck({ ...config, type: 'structure' }, { maxTransferSeconds: 0 }),
      'source.bandwidth',
    )
    expect(structure.status).toBe('pass')
    expect(structure.message).toMatch(/^not measured: a 'structure' task copies no data/)

    // a probe that fails warns with the server's error, and the shared source connection stays usable
    await pair.source.query(`REVOKE EXECUTE ON FUNCTION md5(text) FROM PUBLIC`, [], db)
    const failed = await runPrecheck({ ...config, source: src(db, 'reader') })
    const probe = item(failed, 'source.bandwidth')
    expect(probe.status).toBe('warn')
    expect(probe.message).toMatch(/could not be measured: .*permission denied for function md5/)
    expect(failed.items.map((i) => i.id)).toEqual([...PRECHECK_ITEM_IDS])
    expect(failed.items.filter((i) => i.message.includes('could not be checked'))).toEqual([])
  })

  it('source.open-transactions warns on a long and a prepared transaction; ending them clears it', async () => {
    const db = await pair.source.createDatabase('xact')
    await pair.source.query(`CREATE TABLE t (id int PRIMARY KEY)`, [], db)
    const open = await pair.source.client(db)
    await open.query(`BEGIN; INSERT INTO t VALUES (1)`)
    const pid = (await open.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)).rows[0]?.pid
    await pair.source.query(
      `BEGIN; INSERT INTO t VALUES (2); PREPARE TRANSACTION 'pgferry test gid'`,
      [],
      db,
    )
    const config = { source: src(db), target: tgt(), type: 'full+incremental' as const }
    let report = await runPrecheck(config, { longTransactionSeconds: 0 })
    const x = item(report, 'source.open-transactions')
    expect(x.status).toBe('warn')
    expect(x.objects).toEqual([`pid ${pid}`, 'pgferry test gid'])
    expect(x.fix).toContain(`SELECT pg_terminate_backend(${pid});`)
    expect(x.fix).toContain(`ROLLBACK PREPARED 'pgferry test gid';`)
    expect(report.ok).toBe(true)
    // the default threshold (60 s) does not count a transaction this young; the prepared one still counts
    expect(item(await runPrecheck(config), 'source.open-transactions').objects).toEqual([
      'pgferry test gid',
    ])
    await applyFixes(x, pair)
    await open.end().catch(() => undefined)
    report = await runPrecheck(config, { longTransactionSeconds: 0 })
    expect(item(report, 'source.open-transactions').status).toBe('pass')
  })

  it('source.slot-settings warns on max_slot_wal_keep_size and a short wal_sender_timeout; the fix reloads them', async () => {
    const db = await pair.source.createDatabase('slot')
    await pair.source.query(`ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'`)
    await pair.source.query(`ALTER SYSTEM SET wal_sender_timeout = '5s'`)
    await pair.source.query(`SELECT pg_reload_conf()`)
    await waitForSetting(pair.source, 'wal_sender_timeout', '5s')
    await waitForSetting(pair.source, 'max_slot_wal_keep_size', '1GB')
    const config = { source: src(db), target: tgt(), type: 'full+incremental' as const }
    const s = item(await runPrecheck(config), 'source.slot-settings')
    expect(s.status).toBe('warn')
    expect(s.objects).toEqual(['max_slot_wal_keep_size', 'wal_sender_timeout'])
    expect(s.fix).toContain('ALTER SYSTEM SET max_slot_wal_keep_size = -1;')
    await applyFixes(s, pair)
    await waitForSetting(pair.source, 'wal_sender_timeout', '1min')
    await waitForSetting(pair.source, 'max_slot_wal_keep_size', '-1')
    expect(item(await runPrecheck(config), 'source.slot-settings').status).toBe('pass')
  })

  it('source.cutover-fence fails (full+incremental) when the source user cannot execute pg_logical_emit_message; the GRANT fixes it', async () => {
    const db = await pair.source.createDatabase('fence')
    await pair.source.query(`CREATE TABLE t (id int PRIMARY KEY)`, [], db)
    // revoked in this database only: function privileges are per database
    await pair.source.query(
      `REVOKE EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) FROM PUBLIC`,
      [],
      db,
    )
    const config = { source: src(db, 'reader'), target: tgt(), type: 'full+incremental' as const }
    const fence = item(await runPrecheck(config), 'source.cutover-fence')
    expect(fence.status).toBe('fail')
    expect(fence.objects).toEqual([`${db}: pg_logical_emit_message(boolean,text,text)`])
    expect(fence.fix).toContain(
      'GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO "reader";',
    )
    // a task that streams nothing writes no fence
    expect(
      item(await runPrecheck({ ...config, type: 'full' }), 'source.cutover-fence').status,
    ).toBe('pass')
    await applyFixes(fence, pair)
    const r = await pair.source.query<{ ok: boolean }>(
      `SELECT has_function_privilege('reader', 'pg_logical_emit_message(boolean,text,text)', 'EXECUTE') AS ok`,
      [],
      db,
    )
    expect(r.rows[0]?.ok).toBe(true)
    expect(item(await runPrecheck(config), 'source.cutover-fence').status).toBe('pass')
  })

  it('target.role-conflicts: an instance task fails on a role that exists on both sides', async () => {
    await pair.source.query(`CREATE ROLE "App Owner"`)
    await pair.target.query(`CREATE ROLE "App Owner"`)
    const config = {
      source: src('postgres'),
      target: tgt(),
      type: 'structure' as const,
      objects: 'instance' as const,
    }
    let report = await runPrecheck(config)
    const roles = item(report, 'target.role-conflicts')
    expect(roles.status).toBe('fail')
    // reader exists only on the source, writer only on the target, postgres (oid 10) is left out
    expect(roles.objects).toEqual(['App Owner'])
    expect(roles.fix).toContain('DROP ROLE IF EXISTS "App Owner";')
    await applyFixes(roles, pair)
    report = await runPrecheck(config)
    expect(item(report, 'target.role-conflicts').status).toBe('pass')
    // a selection task creates no roles
    await pair.target.query(`CREATE ROLE "App Owner"`)
    expect(
      item(
        await runPrecheck({ ...config, objects: { databases: { postgres: true } } }),
        'target.role-conflicts',
      ).status,
    ).toBe('pass')
  })
})
