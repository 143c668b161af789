/**
 * The `pgferry` CLI as a child process (src/cli/main.ts under tsx) against a real cluster pair:
 * exit codes, JSON, a full load and an online migration checked on the target by SQL (not by the
 * CLI's output), passwords from the environment never printed, bad usage naming the flag.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { startPair, type Cluster, type ClusterPair } from '../harness/cluster.js'
import { spawnTs, waitForLine } from '../harness/child.js'
import { CLI, cli } from '../harness/cli.js'
import { INCREMENTAL_SCHEMA, loadedTask } from '../harness/incremental-fixture.js'
import { requirePassword } from '../harness/require-password.js'

/** Count and md5 of every row in order, computed by SQL on that side. */
async function digest(cluster: Cluster, db: string, table: string): Promise<string> {
  const r = await cluster.query<{ n: string; h: string }>(
    `SELECT count(*)::text AS n, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) AS h FROM ${table} t`,
    [],
    db,
  )
  return `${r.rows[0]?.n} ${r.rows[0]?.h}`
}

const SHOP = `
  CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, tags text[], born date);
  CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers(id), total numeric(12,2), note jsonb);
  INSERT INTO customers (name, tags, born) OVERRIDING SYSTEM VALUE
    SELECT 'customer ' || g, ARRAY['t' || (g % 7)], date '1970-01-01' + g FROM generate_series(1, 500) g;
  INSERT INTO orders (customer_id, total, note)
    SELECT 1 + g % 500, (g % 900) / 7.0, jsonb_build_object('g', g) FROM generate_series(1, 5000) g;`

let pair: ClusterPair
beforeAll(async () => {
  pair = await startPair(12, 17)
})
afterAll(async () => {
  await pair?.stop()
})

describe('pgferry CLI (12 → 17)', () => {
  it('precheck: exit 0 and a JSON report on a good setup, exit 1 with the fix on a bad one', async () => {
    const db = await pair.source.createDatabase('cli_pre')
    await pair.source.query(`CREATE TABLE t (id int PRIMARY KEY)`, [], db)
    const base = ['precheck', '--source', pair.source.url(db), '--target', pair.target.url()]
    const [good, goodJson, badJson, badText] = await Promise.all([
      cli([...base, '--type', 'full']),
      cli([...base, '--type', 'full+incremental', '--json']),
      cli([...base, '--type', 'full', '--database', 'no_such_db', '--json']),
      cli([...base, '--type', 'full', '--database', 'no_such_db']),
    ])
    expect(good.code, good.stderr).toBe(0)
    expect(good.stdout).toMatch(/precheck passed/)

    expect(goodJson.code, goodJson.stderr).toBe(0)
    const report = JSON.parse(goodJson.stdout) as {
      ok: boolean
      items: { id: string; status: string; fix?: string }[]
    }
    expect(report.ok).toBe(true)
    expect(report.items.find((i) => i.id === 'source.wal-level')?.status).toBe('pass')

    expect(badJson.code).toBe(1)
    const bad = JSON.parse(badJson.stdout) as typeof report
    expect(bad.ok).toBe(false)
    const failed = bad.items.find((i) => i.status === 'fail')
    expect(failed?.id).toBe('selection.objects-exist')
    expect(failed?.fix).toBeTruthy()

    expect(badText.code).toBe(1)
    expect(badText.stdout).toMatch(/FAIL selection\.objects-exist: .*no_such_db/)
    expect(badText.stdout).toContain(`fix: ${failed?.fix ?? ''}`)
  })

  it('run --type full copies a database; the target matches by SQL; list and status show it', async () => {
    const db = await pair.source.createDatabase('cli_full')
    await pair.source.query(SHOP, [], db)
    const tdb = `${db}_t`
    const run = await cli([
      'run',
      '--source',
      pair.source.url(db),
      '--target',
      pair.target.url(),
      '--type',
      'full',
      '--database',
      `${db}:${tdb}`,
      '--parallelism',
      '2',
    ])
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout).toMatch(/stage fullload: done/)
    for (const table of ['customers', 'orders']) {
      expect(await digest(pair.target, tdb, table)).toBe(await digest(pair.source, db, table))
    }
    const id = /task ([0-9a-f-]{36}) \(full\)/.exec(run.stdout)?.[1]
    expect(id).toBeDefined()
    const [list, status] = await Promise.all([
      cli(['list', '--target', pair.target.url(), '--json']),
      cli(['status', id ?? '', '--target', pair.target.url(), '--json']),
    ])
    expect(list.code, list.stderr).toBe(0)
    const listed = list.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; id: string })
    expect(listed.every((t) => t.type === 'task')).toBe(true)
    expect(listed.map((t) => t.id)).toContain(id)
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject({
      type: 'status',
      id,
      state: 'completed',
      taskType: 'full',
    })
  })

  it('run full+incremental --complete-after-sync carries rows written during the run; no slot is left', async () => {
    const db = await pair.source.createDatabase('cli_inc')
    await pair.source.query(SHOP, [], db)
    const tdb = `${db}_t`
    const writer: pg.Client = await pair.source.client(db)
    let stopping = false
    let written = 0
    const loop = (async () => {
      while (!stopping) {
        await writer.query(
          `INSERT INTO orders (customer_id, total, note) VALUES (1, 1.5, '{"live": true}')`,
        )
        written++
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    try {
      const child = spawnTs(CLI, [
        'run',
        '--source',
        pair.source.url(db),
        '--target',
        pair.target.url(),
        '--type',
        'full+incremental',
        '--database',
        `${db}:${tdb}`,
        '--complete-after-sync',
      ])
      let out = ''
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
      await waitForLine(child, /incremental sync running/)
      stopping = true
      await loop
      // one more batch once the stream runs: it must reach the target through the sync
      await writer.query(
        `INSERT INTO orders (customer_id, total, note) SELECT 2, 2.5, '{"late": true}' FROM generate_series(1, 100)`,
      )
      expect(await exited, out).toBe(0)
      expect(out).toMatch(/completed: drained/)
    } finally {
      stopping = true
      await loop.catch(() => undefined)
      await writer.end()
    }
    expect(written).toBeGreaterThan(0)
    for (const table of ['customers', 'orders']) {
      expect(await digest(pair.target, tdb, table)).toBe(await digest(pair.source, db, table))
    }
    const late = await pair.target.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM orders WHERE note ? 'late'`,
      [],
      tdb,
    )
    expect(late.rows[0]?.n).toBe('100')
    const seq = `SELECT last_value::text AS v FROM orders_id_seq`
    expect((await pair.target.query(seq, [], tdb)).rows).toEqual(
      (await pair.source.query(seq, [], db)).rows,
    )
    const slots = await pair.source.query(`SELECT slot_name FROM pg_replication_slots`)
    expect(slots.rows).toEqual([])
  })

  it('a password from the environment is used and never printed, not even in an error', async () => {
    const password = `Pw-${randomBytes(9).toString('hex')}`
    const wrong = `Wrong-${randomBytes(9).toString('hex')}`
    await requirePassword(pair.source, 'cli_pw', password)
    await requirePassword(pair.target, 'cli_pw', password)
    const db = await pair.source.createDatabase('cli_pw')
    await pair.source.query(`CREATE TABLE t (id int PRIMARY KEY, v text)`, [], db)
    const source = `postgres://cli_pw@127.0.0.1:${pair.source.port}/${db}`
    const target = `postgres://cli_pw@127.0.0.1:${pair.target.port}/postgres`
    const env = { PGFERRY_SOURCE_PASSWORD: password, PGFERRY_TARGET_PASSWORD: password }
    const [good, run, wrongPrecheck, wrongList, wrongInUrl] = await Promise.all([
      cli(['precheck', '--source', source, '--target', target, '--type', 'full'], env),
      cli(['run', '--source', source, '--target', target, '--type', 'structure'], env),
      cli(['precheck', '--source', source, '--target', target, '--type', 'full'], {
        ...env,
        PGFERRY_SOURCE_PASSWORD: wrong,
      }),
      cli(['list', '--target', target], { PGFERRY_TARGET_PASSWORD: wrong }),
      cli([
        'status',
        'x',
        '--target',
        `postgres://cli_pw:${wrong}@127.0.0.1:${pair.target.port}/postgres`,
      ]),
    ])
    expect(good.code, good.stdout + good.stderr).toBe(0)
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(
      (await pair.target.query(`SELECT to_regclass('public.t') IS NOT NULL AS ok`, [], db)).rows,
    ).toEqual([{ ok: true }])
    expect(wrongPrecheck.code).toBe(1)
    expect(wrongPrecheck.stdout).toMatch(/FAIL source\.connect: .*password authentication failed/)
    expect(wrongList.code).toBe(1)
    expect(wrongList.stderr).toMatch(/PGFERRY_CONNECT_AUTH_FAILED/)
    expect(wrongInUrl.code).toBe(1)
    expect(wrongInUrl.stderr).toMatch(/PGFERRY_CONNECT_AUTH_FAILED/)
    for (const r of [good, run, wrongPrecheck, wrongList, wrongInUrl]) {
      const all = r.stdout + r.stderr
      expect(all).not.toContain(password)
      expect(all).not.toContain(wrong)
      expect(all).not.toContain(encodeURIComponent(wrong))
    }
  })

  it('bad usage exits 2 with a message naming the flag', async () => {
    const url = pair.source.url()
    const [badType, unknownFlag, missingTarget, missingId, badParallelism, twoSelections] =
      await Promise.all([
        cli(['run', '--source', url, '--target', url, '--type', 'everything']),
        cli(['precheck', '--source', url, '--target', url, '--type', 'full', '--paralellism', '2']),
        cli(['precheck', '--source', url, '--type', 'full']),
        cli(['status', '--target', url]),
        cli(['run', '--source', url, '--target', url, '--type', 'full', '--parallelism', 'x']),
        cli([
          'run',
          '--source',
          url,
          '--target',
          url,
          '--type',
          'full',
          '--objects',
          'instance',
          '--database',
          'a',
        ]),
      ])
    for (const r of [
      badType,
      unknownFlag,
      missingTarget,
      missingId,
      badParallelism,
      twoSelections,
    ]) {
      expect(r.code, r.stdout + r.stderr).toBe(2)
      expect(r.stderr).toMatch(/--help/)
    }
    expect(badType.stderr).toMatch(/--type/)
    expect(unknownFlag.stderr).toMatch(/--paralellism/)
    expect(missingTarget.stderr).toMatch(/--target/)
    expect(missingId.stderr).toMatch(/task ID/)
    expect(badParallelism.stderr).toMatch(/--parallelism/)
    expect(twoSelections.stderr).toMatch(/--objects.*--database/)
  })

  it('status --source shows each slot of a loaded task and the WAL the source keeps for it; none once deleted', async () => {
    const db = await pair.source.createDatabase('cli_slot')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    const retained = async (): Promise<bigint> =>
      BigInt(
        (
          await pair.source.query<{ b: string }>(
            `SELECT (pg_current_wal_lsn() - restart_lsn)::int8::text AS b FROM pg_replication_slots WHERE database = $1`,
            [db],
          )
        ).rows[0]?.b ?? '-1',
      )
    try {
      const before = await retained()
      const json = await cli([
        'status',
        task.id,
        '--target',
        pair.target.url(),
        '--source',
        pair.source.url(),
        '--json',
      ])
      const after = await retained()
      expect(json.code, json.stderr).toBe(0)
      const slots = (
        JSON.parse(json.stdout) as { slots: { database: string; retainedBytes: string }[] }
      ).slots
      expect(slots.map((x) => x.database)).toEqual([db])
      const shown = BigInt(slots[0]?.retainedBytes ?? '-1')
      expect(shown >= before && shown <= after).toBe(true)
      const text = await cli([
        'status',
        task.id,
        '--target',
        pair.target.url(),
        '--source',
        pair.source.url(),
      ])
      expect(text.stdout).toMatch(
        new RegExp(
          `slot +pgferry_.*\\(${db}\\): lag .*, retains .* of WAL on the source(, wal_status reserved)?$`,
          'm',
        ),
      )
      await task.delete()
      const gone = await cli([
        'status',
        task.id,
        '--target',
        pair.target.url(),
        '--source',
        pair.source.url(),
      ])
      // a deleted task is gone from the store, and its slot from the source
      expect(gone.code).toBe(1)
      expect(await retained()).toBe(-1n)
    } finally {
      await task.close()
    }
  }, 180_000)

  it('verify: exit 0 when equal; exit 1 on a row changed on the target, printed with its key; --json and --mode count', async () => {
    const db = await pair.source.createDatabase('cli_verify')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const task = await loadedTask(pair, db)
    await task.close()
    const args = ['verify', task.id, '--source', pair.source.url(db), '--target', pair.target.url()]
    const equal = await cli(args)
    expect(equal.code, equal.stdout + equal.stderr).toBe(0)
    expect(equal.stdout).toMatch(/verify checksum: 9 tables equal/)
    expect(equal.stdout).toMatch(/fullrows .*no key: compared as a multiset/)

    await pair.target.query(`UPDATE items SET name = 'changed' WHERE id = 5`, [], db)
    const differs = await cli(args)
    expect(differs.code, differs.stdout + differs.stderr).toBe(1)
    expect(differs.stdout).toMatch(/DIFFERENT .*public\.items/)
    expect(differs.stdout).toMatch(
      /changed id=5\n\s+source: .*"name":"item 5".*\n\s+target: .*"name":"changed"/,
    )
    const json = await cli([...args, '--json', '--tables', 'public.items,public.keyed'])
    expect(json.code).toBe(1)
    const report = JSON.parse(json.stdout) as {
      equal: boolean
      tables: { table: string; differences: { key: Record<string, string> }[] }[]
    }
    expect(report.tables.map((t) => t.table)).toEqual(['public.items', 'public.keyed'])
    expect(report.tables[0]?.differences.map((d) => d.key)).toEqual([{ id: '5' }])
    // the same row count on both sides: count mode sees no difference
    const counted = await cli([...args, '--mode', 'count'])
    expect(counted.code, counted.stdout).toBe(0)
    const badMode = await cli([...args, '--mode', 'bogus'])
    expect(badMode.code).toBe(2)
    expect(badMode.stderr).toMatch(/--mode/)
  })
})
