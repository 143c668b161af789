import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask } from '../../src/index.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import {
  RICH_SQL,
  ensureRoles,
  expectSameStructure,
  passPrecheck,
} from '../fixtures/schema/schema-suite.js'

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 17)
  await ensureRoles(pair)
  await pair.source.query(`CREATE ROLE migrator LOGIN PASSWORD 'm'`)
})
afterAll(async () => {
  await pair?.stop()
})

const ROLE_FACTS = `SELECT a.rolname, a.rolsuper, a.rolinherit, a.rolcreaterole, a.rolcreatedb, a.rolcanlogin,
       a.rolreplication, a.rolbypassrls, a.rolconnlimit, a.rolvaliduntil::text AS until, a.rolpassword,
       (SELECT s.setconfig::text FROM pg_db_role_setting s WHERE s.setrole = a.oid AND s.setdatabase = 0) AS config,
       shobj_description(a.oid, 'pg_authid') AS comment,
       (SELECT string_agg(pg_get_userbyid(m.roleid) || ':' || m.admin_option, ',' ORDER BY 1)
          FROM pg_auth_members m WHERE m.member = a.oid) AS member_of
  FROM pg_authid a WHERE a.rolname IN ('app_owner', 'app_reader', 'alice', 'ops', 'migrator') ORDER BY 1`

describe('structure for an instance: roles, databases, settings', () => {
  it('creates roles with attributes, password hashes and memberships, and every database', async () => {
    for (const sql of [
      `CREATE ROLE ops NOLOGIN CREATEDB`,
      `CREATE ROLE alice LOGIN PASSWORD 'alice-secret' CONNECTION LIMIT 7 VALID UNTIL '2100-01-01 00:00:00+00'`,
      `GRANT ops TO alice WITH ADMIN OPTION`,
      `ALTER ROLE alice SET work_mem = '8MB'`,
      `ALTER ROLE alice SET search_path = "$user", app, public`,
      `COMMENT ON ROLE ops IS 'operators'`,
      `CREATE DATABASE "Shop ñ" OWNER alice`,
      `CREATE DATABASE rich_inst`,
      `ALTER DATABASE "Shop ñ" SET statement_timeout = '5s'`,
      `COMMENT ON DATABASE "Shop ñ" IS 'the shop'`,
      `REVOKE CONNECT ON DATABASE "Shop ñ" FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE "Shop ñ" TO ops, migrator`,
    ])
      await pair.source.query(sql)
    await pair.source.query(RICH_SQL, [], 'rich_inst')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY); ALTER TABLE t OWNER TO alice`,
      [],
      'Shop ñ',
    )

    const task = await createTask({
      name: 'instance',
      source: pair.source.config('postgres'),
      target: pair.target.config('postgres'),
      type: 'structure',
      store: 'memory',
      objects: 'instance',
    })
    try {
      await passPrecheck(task)
      const result = await task.migrateSchema()
      expect(result.created.role).toBeGreaterThanOrEqual(3)
    } finally {
      await task.close()
    }

    const src = await pair.source.query<{ rolname: string; rolpassword: string | null }>(ROLE_FACTS)
    const tgt = await pair.target.query(ROLE_FACTS)
    expect(tgt.rows).toEqual(src.rows)
    expect(src.rows.find((r) => r.rolname === 'alice')?.rolpassword).toMatch(/^md5|^SCRAM/)

    const dbFacts = `SELECT d.datname, pg_get_userbyid(d.datdba) AS owner, pg_encoding_to_char(d.encoding) AS enc,
                            d.datcollate, (SELECT array_agg(x::text ORDER BY x::text) FROM unnest(d.datacl) x)::text AS acl, shobj_description(d.oid, 'pg_database') AS comment,
                            (SELECT s.setconfig::text FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS config
                       FROM pg_database d WHERE d.datname IN ('Shop ñ', 'rich_inst') ORDER BY 1`
    expect((await pair.target.query(dbFacts)).rows).toEqual((await pair.source.query(dbFacts)).rows)
    await expectSameStructure(pair, 'rich_inst', 'rich_inst')
    await expectSameStructure(pair, 'Shop ñ', 'Shop ñ')
    // the bootstrap superuser is left alone
    const pg = await pair.target.query<{ rolsuper: boolean }>(
      `SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'`,
    )
    expect(pg.rows[0]?.rolsuper).toBe(true)
  })

  it('warns per role and creates it without a password when the source user cannot read pg_authid', async () => {
    await pair.source.query(`CREATE ROLE bob LOGIN PASSWORD 'bob-secret'`)
    const task = await createTask({
      name: 'instance-nonsuper',
      source: { ...pair.source.config('postgres'), user: 'migrator', password: 'm' },
      target: pair.target.config('postgres'),
      type: 'structure',
      store: 'memory',
      objects: 'instance',
    })
    const warned: string[] = []
    task.on('warning', (w) => {
      if (w.code === 'PGFERRY_SCHEMA_ROLE_PASSWORD') warned.push(w.object ?? '')
    })
    try {
      await passPrecheck(task)
      await task.migrateSchema()
    } finally {
      await task.close()
    }
    expect(warned).toContain('bob')
    const bob = await pair.target.query<{ rolcanlogin: boolean; rolpassword: string | null }>(
      `SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'bob'`,
    )
    expect(bob.rows[0]).toEqual({ rolcanlogin: true, rolpassword: null })
  })
})
