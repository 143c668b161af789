/**
 * Oldest → newest (12 → 17): a clean pair passes; an extension the target does not ship fails;
 * each way of not reaching a server is told apart; no password ever shows.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask, type PgferryEvents } from '../../src/index.js'
import { PRECHECK_ITEM_IDS } from '../../src/precheck/precheck-items.js'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { item, runPrecheck } from './precheck-helpers.js'

const PASSWORD = 'Wrong-pw-never-shown-99'
let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 17)
})
afterAll(async () => {
  await pair?.stop()
})

describe('precheck 12 → 17', () => {
  it('passes on a clean pair with tables, views, functions, triggers, partitions and an extension', async () => {
    const db = await pair.source.createDatabase('clean')
    await pair.source.query(
      `CREATE EXTENSION hstore;
       CREATE SCHEMA shop;
       CREATE TABLE shop.customer (id serial PRIMARY KEY, attrs hstore);
       CREATE TABLE shop."order" (id bigserial PRIMARY KEY, customer_id int REFERENCES shop.customer, at date NOT NULL);
       CREATE TABLE shop.event (id int, at date NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
       CREATE TABLE shop.event_2024 PARTITION OF shop.event FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
       CREATE VIEW shop.recent AS SELECT * FROM shop."order" WHERE at > now() - interval '1 day';
       CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at := now(); RETURN NEW; END $$;
       CREATE TRIGGER touch BEFORE INSERT ON shop."order" FOR EACH ROW EXECUTE PROCEDURE shop.touch();
       INSERT INTO shop.customer (attrs) SELECT 'a=>1' FROM generate_series(1, 100);`,
      [],
      db,
    )
    const report = await runPrecheck(
      { source: pair.source.url(db), target: pair.target.url(), type: 'full+incremental' },
      { targetFreeBytes: 10 * 1024 ** 3 },
    )
    expect(report.items.map((i) => i.id)).toEqual([...PRECHECK_ITEM_IDS])
    expect(report.items.filter((i) => i.status !== 'pass')).toEqual([])
    expect(report.ok).toBe(true)
    expect(item(report, 'target.version').message).toMatch(/source 12\.\d+ .*target 17\.\d+/)
    expect(item(report, 'target.extensions').message).toContain('hstore')
  })

  it('target.extensions fails on an extension the target major no longer ships (adminpack)', async () => {
    const db = await pair.source.createDatabase('ext')
    await pair.source.query(`CREATE EXTENSION adminpack`, [], db)
    const report = await runPrecheck({
      source: pair.source.url(db),
      target: pair.target.url(),
      type: 'full',
    })
    const ext = item(report, 'target.extensions')
    expect(ext.status).toBe('fail')
    expect(ext.objects).toEqual(['adminpack'])
    expect(ext.message).toContain(`adminpack 2.0 (used in ${db})`)
    expect(ext.fix).toContain('install the package providing adminpack on the target host')
    expect(report.ok).toBe(false)
    // no SQL can install files on the target; dropping the extension on the source is the other way
    await pair.source.query(`DROP EXTENSION adminpack`, [], db)
    const after = await runPrecheck({
      source: pair.source.url(db),
      target: pair.target.url(),
      type: 'full',
    })
    expect(item(after, 'target.extensions').status).toBe('pass')
  })

  it('tells unreachable, auth failed, database missing and SSL apart, without the password', async () => {
    // password auth for one role on the source (trust stays for the superuser)
    const hba = path.join(pair.source.dataDir, 'pg_hba.conf')
    writeFileSync(
      hba,
      `host all pwuser 127.0.0.1/32 md5\nhostnossl all ssluser 127.0.0.1/32 reject\n${readFileSync(hba, 'utf8')}`,
    )
    await pair.source.query(`CREATE ROLE pwuser LOGIN PASSWORD 'the-right-one'`)
    await pair.source.query(`CREATE ROLE ssluser LOGIN`)
    await pair.source.query(`SELECT pg_reload_conf()`)
    const base = { host: pair.source.host, port: pair.source.port }
    const cases = [
      {
        source: { ...base, user: 'pwuser', password: PASSWORD, database: 'postgres' },
        code: /password authentication failed for user 'pwuser'/,
      },
      {
        source: { ...base, user: 'postgres', password: PASSWORD, database: 'no_such_db' },
        code: /database 'no_such_db' does not exist/,
      },
      {
        source: { ...base, port: 1, user: 'postgres', password: PASSWORD, database: 'postgres' },
        code: /server unreachable/,
      },
      {
        source: { ...base, user: 'ssluser', password: PASSWORD, database: 'postgres' },
        code: /the server requires SSL for this user\/host/,
      },
      {
        source: { ...base, user: 'postgres', password: PASSWORD, database: 'postgres', ssl: true },
        code: /SSL was requested but the server does not support it/,
      },
    ]
    for (const c of cases) {
      // the reload above is asynchronous: wait until the md5 line applies
      if (/password|SSL for/.test(c.code.source)) {
        for (let i = 0; i < 200; i++) {
          const r = await runPrecheck({ source: c.source, target: pair.target.url(), type: 'full' })
          if (item(r, 'source.connect').status === 'fail') break
          await new Promise((res) => setTimeout(res, 25))
        }
      }
      const events: PgferryEvents['precheck:item'][] = []
      const task = await createTask({
        name: 'connect',
        store: 'memory',
        source: c.source,
        target: { ...pair.target.config(), password: PASSWORD } as {
          host: string
          port: number
          user: string
          password: string
        },
        type: 'full',
      })
      task.on('precheck:item', (e) => events.push(e))
      const report = await task.precheck()
      await task.close()
      const connect = item(report, 'source.connect')
      expect(connect.status).toBe('fail')
      expect(connect.message).toMatch(c.code)
      expect(connect.fix).toBeTruthy()
      expect(item(report, 'target.connect').status).toBe('pass')
      expect(report.ok).toBe(false)
      // nothing else can be checked without the source; the report says only what it knows
      expect(report.items.map((i) => i.id)).toEqual(['source.connect', 'target.connect'])
      expect(JSON.stringify(report)).not.toContain(PASSWORD)
      expect(JSON.stringify(events)).not.toContain(PASSWORD)
    }
  })
})
