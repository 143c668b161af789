/**
 * A user mapping's options usually hold a password. When its creation fails on the target, the
 * statement is shown (in the error's fix, the `error` event, the stored events, the CLI output): the
 * password must not be, anywhere. The failure is made certain: the target already has a server of
 * the same name on file_fdw, whose validator refuses the `password` option (issue 10 item 10).
 */
import { inspect } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask } from '../../src/index.js'
import type { PgferryEvents } from '../../src/model/events.js'
import { startPair, type Cluster, type ClusterPair } from '../harness/cluster.js'
import { spawnTs } from '../harness/child.js'
import { passPrecheck } from '../harness/pass-precheck.js'

const PASSWORD = 'Um-Secret-9f3c2a77'

const EVENT_NAMES: readonly (keyof PgferryEvents)[] = [
  'stage:start',
  'stage:done',
  'task:state',
  'precheck:item',
  'schema:object',
  'schema:done',
  'warning',
  'error',
]

/** Source with a postgres_fdw user mapping holding PASSWORD; a target db whose `far` server refuses it. */
async function prepare(pair: ClusterPair, prefix: string): Promise<string> {
  const db = await pair.source.createDatabase(prefix)
  await pair.source.query(
    `CREATE EXTENSION postgres_fdw;
     CREATE SERVER far FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', dbname 'x');
     CREATE USER MAPPING FOR postgres SERVER far OPTIONS (user 'bob', password '${PASSWORD}');
     CREATE TABLE t (id int PRIMARY KEY)`,
    [],
    db,
  )
  await pair.target.query(`CREATE DATABASE ${db}`)
  await pair.target.query(
    `CREATE EXTENSION file_fdw; CREATE SERVER far FOREIGN DATA WRAPPER file_fdw`,
    [],
    db,
  )
  return db
}

/** Every row of every table of the target's `pgferry` schema, as text. */
async function storeText(target: Cluster): Promise<string> {
  const tables = await target.query<{ t: string }>(
    `SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname = 'pgferry'`,
  )
  expect(tables.rows.length).toBeGreaterThan(0)
  let out = ''
  for (const { t } of tables.rows) {
    const r = await target.query<{ x: string }>(
      `SELECT string_agg(s::text, E'\\n') AS x FROM ${t} s`,
    )
    out += r.rows[0]?.x ?? ''
  }
  return out
}

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('user-mapping passwords never shown (16 → 16)', () => {
  it('a failed user mapping: the error, its cause, the events and the store hold no password', async () => {
    const db = await prepare(pair, 'um_api')
    const task = await createTask({
      name: 'user mapping',
      source: pair.source.config(db),
      target: pair.target.config('postgres'),
      type: 'structure',
      objects: { databases: { [db]: true } },
    })
    const seen: unknown[] = []
    for (const name of EVENT_NAMES) task.on(name, (e: unknown) => seen.push(e))
    try {
      await passPrecheck(task)
      const error = await task.migrateSchema().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error, 'the user mapping must fail on the target').toBeDefined()
      const shown = inspect(error, { depth: 10, showHidden: true })
      expect(shown).toContain('user-mapping')
      expect(shown).not.toContain(PASSWORD)
      expect((error as { fix?: string }).fix).toMatch(/CREATE USER MAPPING .*"password" '\*\*\*'/)
      expect(inspect(seen, { depth: 10 })).not.toContain(PASSWORD)
      expect(seen.some((e) => (e as { error?: unknown }).error !== undefined)).toBe(true)
      expect(await storeText(pair.target)).not.toContain(PASSWORD)
    } finally {
      await task.close()
    }
  }, 120_000)

  it('the CLI output holds no password', async () => {
    const db = await prepare(pair, 'um_cli')
    const child = spawnTs('src/cli/main.ts', [
      'run',
      '--source',
      pair.source.url(db),
      '--target',
      pair.target.url(),
      '--type',
      'structure',
      '--database',
      db,
    ])
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    const code = await new Promise<number | null>((r) => child.on('exit', r))
    expect(code, out).not.toBe(0)
    expect(out).toMatch(/user.mapping/)
    expect(out).not.toContain(PASSWORD)
  }, 120_000)
})
