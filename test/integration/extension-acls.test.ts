/**
 * Privileges the source changed on extension members are carried, as pg_dump carries them through
 * pg_init_privs: a REVOKE and GRANTs on pgcrypto functions, a GRANT and REVOKE on pg_buffercache's
 * function whose initial privileges the extension script set itself, and a GRANT on an extension
 * view (pg_stat_statements), a REVOKE and GRANT on an extension type (hstore). Compared by `proacl` and `relacl` on both sides (issue 10 item 15).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask } from '../../src/index.js'
import { startPair, type Cluster, type ClusterPair } from '../harness/cluster.js'
import { passPrecheck } from '../harness/pass-precheck.js'

/** Every extension member's ACL as text, by SQL (its items sorted: their order has no meaning). */
async function memberAcls(cluster: Cluster, db: string): Promise<string[]> {
  const r = await cluster.query<{ x: string }>(
    `SELECT e.extname || ' ' || coalesce(p.oid::regprocedure::text, c.oid::regclass::text, t.oid::regtype::text) || ' ' ||
            coalesce((SELECT string_agg(a::text, ',' ORDER BY a::text) FROM unnest(coalesce(p.proacl, c.relacl, t.typacl)) a), '-') AS x
       FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
       LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
       LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
       LEFT JOIN pg_type t ON d.classid = 'pg_type'::regclass AND t.oid = d.objid
      WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
        AND (p.oid IS NOT NULL OR c.oid IS NOT NULL OR t.oid IS NOT NULL)
      ORDER BY 1`,
    [],
    db,
  )
  return r.rows.map((x) => x.x)
}

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('privileges on extension members (16 → 16)', () => {
  it('REVOKE/GRANT on extension functions and views: proacl and relacl equal on both sides', async () => {
    const db = await pair.source.createDatabase('extacl')
    for (const c of [pair.source, pair.target]) await c.query(`CREATE ROLE extacl_reader`)
    await pair.source.query(
      `CREATE EXTENSION pgcrypto; CREATE EXTENSION pg_buffercache; CREATE EXTENSION pg_stat_statements;
       CREATE EXTENSION hstore; REVOKE USAGE ON TYPE hstore FROM PUBLIC; GRANT USAGE ON TYPE hstore TO extacl_reader;
       REVOKE EXECUTE ON FUNCTION digest(text, text) FROM PUBLIC;
       GRANT EXECUTE ON FUNCTION digest(text, text) TO extacl_reader;
       GRANT EXECUTE ON FUNCTION crypt(text, text) TO extacl_reader WITH GRANT OPTION;
       GRANT EXECUTE ON FUNCTION pg_buffercache_pages() TO extacl_reader;
       REVOKE EXECUTE ON FUNCTION pg_buffercache_pages() FROM pg_monitor;
       GRANT SELECT ON pg_stat_statements TO extacl_reader;
       CREATE TABLE t (id int PRIMARY KEY)`,
      [],
      db,
    )
    const task = await createTask({
      name: 'extension acls',
      source: pair.source.config(db),
      target: pair.target.config('postgres'),
      type: 'structure',
      objects: { databases: { [db]: true } },
    })
    try {
      await passPrecheck(task)
      await task.migrateSchema()
    } finally {
      await task.close()
    }
    const source = await memberAcls(pair.source, db)
    expect(source.join('\n')).toMatch(
      /digest\(text,text\) extacl_reader=X\/postgres,postgres=X\/postgres/,
    )
    expect(await memberAcls(pair.target, db)).toEqual(source)
  }, 120_000)
})
