/**
 * Every privilege failure (SQLSTATE 42501) names its own fix, not "GRANT CONNECT": a source user
 * without REPLICATION, one that does not own the published table, one without CREATE on the
 * database. Sources 12 and 16 word these failures differently (issue 10 item 11).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask, type PgferryError } from '../../src/index.js'
import { startCluster, type Cluster } from '../harness/cluster.js'
import { passPrecheck } from '../harness/pass-precheck.js'

let source12: Cluster
let source16: Cluster
let target: Cluster
beforeAll(async () => {
  ;[source12, source16, target] = await Promise.all([
    startCluster({ major: 12 }),
    startCluster({ major: 16 }),
    startCluster({ major: 16 }),
  ])
})
afterAll(async () => {
  await Promise.all([source12?.stop(), source16?.stop(), target?.stop()])
})

/** A database with table `t` and a login role set up by `grants` (`$U` is the role, `$D` the db). */
async function setUp(source: Cluster, prefix: string, grants: string): Promise<[string, string]> {
  const db = await source.createDatabase(prefix)
  const role = `${db}_u`
  await source.query(`CREATE ROLE ${role} LOGIN`)
  await source.query(`CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2)`, [], db)
  await source.query(grants.replaceAll('$U', role).replaceAll('$D', db), [], db)
  return [db, role]
}

/** The error the full load of a full+incremental task rejects with, run as `role`. */
async function fullLoadError(source: Cluster, db: string, role: string): Promise<PgferryError> {
  const task = await createTask({
    name: `privileges ${db}`,
    source: { ...source.config(db), user: role },
    target: target.config('postgres'),
    type: 'full+incremental',
    objects: { databases: { [db]: { as: `${db}_${source.major}` } } },
  })
  try {
    await passPrecheck(task)
    await task.migrateSchema()
    const error = await task.fullLoad().then(
      () => undefined,
      (e: unknown) => e as PgferryError,
    )
    expect(error, 'the full load must fail').toBeDefined()
    return error as PgferryError
  } finally {
    await task.delete().catch(() => undefined)
    await task.close()
  }
}

describe.each([12, 16])('privilege failures name their fix (source %i)', (major) => {
  const source = (): Cluster => (major === 12 ? source12 : source16)

  it('no REPLICATION attribute: ALTER ROLE … REPLICATION', async () => {
    const [db, role] = await setUp(
      source(),
      'pf_repl',
      `ALTER TABLE t OWNER TO $U; GRANT CREATE ON DATABASE $D TO $U`,
    )
    const error = await fullLoadError(source(), db, role)
    expect(error.fix).toContain(`ALTER ROLE "${role}" REPLICATION`)
    expect(error.fix).not.toMatch(/GRANT CONNECT/)
  }, 120_000)

  it('not the owner of a published table: ownership or a DBA-made publication', async () => {
    const [db, role] = await setUp(
      source(),
      'pf_own',
      `ALTER ROLE $U REPLICATION; GRANT SELECT ON t TO $U; GRANT CREATE ON DATABASE $D TO $U`,
    )
    const error = await fullLoadError(source(), db, role)
    expect(error.message).toMatch(/must be owner of/)
    expect(error.fix).toMatch(/ownership of t/)
    expect(error.fix).toMatch(/publication/)
  }, 120_000)

  it('no CREATE on the database: GRANT CREATE ON DATABASE', async () => {
    const [db, role] = await setUp(
      source(),
      'pf_create',
      `ALTER ROLE $U REPLICATION; ALTER TABLE t OWNER TO $U`,
    )
    const error = await fullLoadError(source(), db, role)
    expect(error.fix).toContain(`GRANT CREATE ON DATABASE "${db}" TO "${role}"`)
  }, 120_000)
})
