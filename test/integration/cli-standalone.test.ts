/**
 * A CLI that stands alone (issue 14), driven as a child process against real servers: the flags a
 * fix names exist and reach the library (checked on the target and in the store by SQL); `resume`
 * and `complete` need only the task id (or a unique prefix), where the task is kept, and a
 * password from the environment or a file; no password reaches the store; Ctrl-C during the sync
 * exits 130 and prints the real commands; fixes name CLI flags, never library calls; `--version`;
 * stderr carries no driver warning.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPair, type ClusterPair } from '../harness/cluster.js'
import { spawnTs, watchLines } from '../harness/child.js'
import { CLI, cli, type CliResult } from '../harness/cli.js'
import { digests, INCREMENTAL_SCHEMA } from '../harness/incremental-fixture.js'
import { requirePassword } from '../harness/require-password.js'

/** A fix in the words of the library, which a CLI user must never be shown. */
const LIBRARY_CALL =
  /\b(openTask|createTask|precheck|fullLoad|startIncremental|migrateSchema)\(|\.ssl = |targetFreeBytes|includeDependencies/
/** Lines the driver (pg) prints on stderr when it is used in a deprecated way. */
const DRIVER_WARNING = /DeprecationWarning|SECURITY WARNING|deprecated|\(node:\d+\)/i

let pair: ClusterPair
const dir = mkdtempSync(path.join(tmpdir(), 'pgferry-cli-standalone-'))
beforeAll(async () => {
  pair = await startPair(16, 16)
})
afterAll(async () => {
  await pair?.stop()
})

describe('pgferry CLI stands alone (16 → 16)', () => {
  it('--version prints the package version', async () => {
    const r = await cli(['--version'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^pgferry \d+\.\d+\.\d+/)
  })

  it('the flags a fix names reach the library; fixes name flags, not library calls', async () => {
    const db = await pair.source.createDatabase('cli_flags')
    await pair.source.query(
      `CREATE SCHEMA app;
       CREATE TABLE app.parent (id int PRIMARY KEY);
       CREATE TABLE app.child (id int PRIMARY KEY, parent_id int REFERENCES app.parent(id));
       CREATE TABLE app.skipped (id int PRIMARY KEY);
       INSERT INTO app.parent SELECT g FROM generate_series(1, 50) g;
       INSERT INTO app.child SELECT g, g FROM generate_series(1, 50) g;`,
      [],
      db,
    )
    const conn = ['--source', pair.source.url(db), '--target', pair.target.url()]
    const [noFree, tooLittle, missingDep] = await Promise.all([
      cli(['precheck', ...conn, '--type', 'full']),
      cli(['precheck', ...conn, '--type', 'full', '--target-free-bytes', '1']),
      cli(['precheck', ...conn, '--type', 'full', '--tables', 'app.child']),
    ])
    expect(noFree.code, noFree.stdout + noFree.stderr).toBe(0)
    expect(noFree.stdout).toMatch(/WARN target\.free-space/)
    expect(noFree.stdout).toMatch(/fix: .*--target-free-bytes BYTES/)
    expect(tooLittle.code).toBe(1)
    expect(tooLittle.stdout).toMatch(/FAIL target\.free-space: .*only 1 bytes free/)
    expect(missingDep.code).toBe(1)
    expect(missingDep.stdout).toMatch(/FAIL selection\.dependencies/)
    expect(missingDep.stdout).toMatch(/fix: .*--include-dependencies/)
    for (const r of [noFree, tooLittle, missingDep]) {
      expect(r.stdout + r.stderr).not.toMatch(LIBRARY_CALL)
      expect(r.stderr).not.toMatch(DRIVER_WARNING)
    }

    // the rest of the settings from --config FILE; flags win over the file
    const config = path.join(dir, 'task.json')
    writeFileSync(
      config,
      JSON.stringify({ type: 'structure', tags: { team: 'file' }, parallelism: 3 }),
    )
    const tdb = `${db}_t`
    const run = await cli([
      'run',
      ...conn,
      '--config',
      config,
      '--type',
      'full',
      '--database',
      `${db}:${tdb}`,
      '--schema',
      'app:moved',
      '--tables',
      'app.child',
      '--include-dependencies',
      '--tag',
      'team=data',
      '--tag',
      'ticket=OPS-1',
      '--throttle',
      '100MB',
      '--parallelism',
      '2',
      '--target-free-bytes',
      String(2 ** 40),
    ])
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stderr).not.toMatch(DRIVER_WARNING)
    const id = /task ([0-9a-f-]{36}) \(full\)/.exec(run.stdout)?.[1] ?? ''
    const tables = await pair.target.query<{ t: string; n: string }>(
      `SELECT c.relname AS t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM moved.%I', c.relname), false, true, '')))[1]::text AS n
         FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'moved' AND c.relkind = 'r' ORDER BY 1`,
      [],
      tdb,
    )
    // child, and parent as its dependency; not skipped; under the renamed schema and database
    expect(tables.rows).toEqual([
      { t: 'child', n: '50' },
      { t: 'parent', n: '50' },
    ])
    const stored = await pair.target.query<{ tags: unknown; config: Record<string, unknown> }>(
      `SELECT tags, config FROM pgferry.task WHERE id = $1`,
      [id],
    )
    expect(stored.rows[0]?.tags).toEqual({ team: 'data', ticket: 'OPS-1' })
    expect(stored.rows[0]?.config).toMatchObject({
      type: 'full',
      parallelism: 2,
      throttle: { bytesPerSecond: 100 * 1024 ** 2 },
    })
  }, 180_000)

  it('resume and complete by id (a prefix) with only --target and passwords from the environment or a file; no password in the store; Ctrl-C in the sync exits 130 with the real commands', async () => {
    const password = `Pw-${randomBytes(9).toString('hex')}`
    await requirePassword(pair.source, 'cli_alone', password)
    await requirePassword(pair.target, 'cli_alone', password)
    const db = await pair.source.createDatabase('cli_alone')
    await pair.source.query(INCREMENTAL_SCHEMA, [], db)
    const source = `postgres://cli_alone@127.0.0.1:${pair.source.port}/${db}`
    const target = `postgres://cli_alone@127.0.0.1:${pair.target.port}/postgres`
    const env = { PGFERRY_SOURCE_PASSWORD: password, PGFERRY_TARGET_PASSWORD: password }
    const child = spawnTs(
      CLI,
      ['run', '--source', source, '--target', target, '--type', 'full+incremental'],
      env,
    )
    const lines = watchLines(child)
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    await lines.until((l) => /incremental sync running/.test(l), 180_000)
    child.kill('SIGINT')
    expect(await exited, lines.lines.join('\n') + lines.stderr()).toBe(130)
    const out = lines.lines.join('\n')
    const id = /task ([0-9a-f-]{36}) \(full\+incremental\)/.exec(out)?.[1] ?? ''
    expect(out).toContain(`pgferry resume ${id} --target ${target}`)
    expect(out).toContain(`pgferry complete ${id} --target ${target}`)
    expect(out + lines.stderr()).not.toContain(password)
    expect(lines.stderr()).not.toMatch(DRIVER_WARNING)

    // nothing in the store holds the password
    const store = await pair.target.query<{ row: string }>(
      `SELECT t::text AS row FROM pgferry.task t WHERE id = $1
       UNION ALL SELECT e::text FROM pgferry.event e WHERE task_id = $1`,
      [id],
    )
    expect(store.rows.length).toBeGreaterThan(1)
    for (const r of store.rows) expect(r.row).not.toContain(password)

    // without a password (and no terminal to ask on): an error naming the CLI's ways to give it
    const noPassword = await cli(['complete', id.slice(0, 8), '--target', target], {
      PGFERRY_TARGET_PASSWORD: password,
      PGFERRY_SOURCE_PASSWORD: '',
    })
    expect(noPassword.code, noPassword.stdout + noPassword.stderr).toBe(2)
    expect(noPassword.stderr).toMatch(/PGFERRY_CONFIG_SECRET_MISSING/)
    expect(noPassword.stderr).toMatch(/fix: .*PGFERRY_SOURCE_PASSWORD.*--source-password-file/)
    expect(noPassword.stderr).not.toMatch(LIBRARY_CALL)

    // resume by a prefix of the id, the target from PGFERRY_TARGET, the source password from a file
    await pair.source.query(
      `INSERT INTO items (name) SELECT 'late ' || g FROM generate_series(1, 20) g`,
      [],
      db,
    )
    const file = path.join(dir, 'source-password')
    writeFileSync(file, `${password}\n`)
    const resumed = await cli(
      ['resume', id.slice(0, 8), '--source-password-file', file, '--complete-after-sync'],
      { PGFERRY_TARGET: target, PGFERRY_TARGET_PASSWORD: password },
    )
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/completed: drained/)
    expect(resumed.stderr).not.toMatch(DRIVER_WARNING)
    expect(await digests(pair.target, db)).toEqual(await digests(pair.source, db))
  }, 300_000)

  it('--verbose adds every state move and object created; --quiet prints nothing on stdout, and a failed precheck still says why on stderr', async () => {
    const db = await pair.source.createDatabase('cli_verbosity')
    await pair.source.query(
      `CREATE TABLE kept (id int PRIMARY KEY, v text);
       INSERT INTO kept SELECT g, 'v' || g FROM generate_series(1, 100) g`,
      [],
      db,
    )
    const conn = ['--source', pair.source.url(db), '--target', pair.target.url()]
    const full = (as: string, ...more: string[]): Promise<CliResult> =>
      cli(['run', ...conn, '--type', 'full', '--database', `${db}:${as}`, ...more])
    const [plain, verbose, quiet] = await Promise.all([
      full(`${db}_plain`),
      full(`${db}_verbose`, '--verbose'),
      full(`${db}_quiet`, '--quiet'),
    ])
    for (const r of [plain, verbose, quiet]) {
      expect(r.code, r.stdout + r.stderr).toBe(0)
      expect(r.stderr).toBe('')
    }
    // --verbose: the events the default output leaves out, one line each
    expect(verbose.stdout).toMatch(/^ {2}task:state \{"from":"created","to":"prechecking"\}$/m)
    expect(verbose.stdout).toMatch(
      /^ {2}task:state \{"from":"running_full_load","to":"completed"\}$/m,
    )
    expect(verbose.stdout).toMatch(/^ {2}schema:object \{.*"kind":"table".*kept/m)
    expect(verbose.stdout).toMatch(/^ {2}table:start \{"database":/m)
    expect(plain.stdout).not.toMatch(/task:state|schema:object|table:start/)
    expect(plain.stdout).toMatch(/task [0-9a-f-]{36} \(full\)/)
    // --quiet: nothing on stdout; the data came over all the same
    expect(quiet.stdout).toBe('')
    for (const as of [`${db}_plain`, `${db}_verbose`, `${db}_quiet`]) {
      const n = await pair.target.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM kept`,
        [],
        as,
      )
      expect(n.rows).toEqual([{ n: 100 }])
    }
    // a failed precheck under --quiet: stdout stays empty, stderr names the item and its fix
    await pair.source.query(`CREATE TABLE keyless (v int)`, [], db)
    for (const command of ['run', 'precheck']) {
      const failed = await cli([
        command,
        ...conn,
        '--type',
        'full+incremental',
        '--database',
        `${db}:${db}_failed`,
        '--quiet',
      ])
      expect(failed.code, failed.stdout + failed.stderr).toBe(1)
      expect(failed.stdout).toBe('')
      expect(failed.stderr).toMatch(/FAIL source\.replica-identity: .*public\.keyless/)
      expect(failed.stderr).toMatch(/fix: .*REPLICA IDENTITY/)
    }
    const both = await cli(['run', ...conn, '--type', 'full', '--quiet', '--verbose'])
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('give only one of --quiet and --verbose')
  }, 400_000)

  it('a password from the password file (PGPASSFILE, as libpq reads it) is used, with no driver warning on stderr', async () => {
    const password = `Pw-${randomBytes(9).toString('hex')}`
    await requirePassword(pair.source, 'cli_pgpass', password)
    await requirePassword(pair.target, 'cli_pgpass', password)
    const db = await pair.source.createDatabase('cli_pgpass')
    await pair.source.query(
      `CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 30)`,
      [],
      db,
    )
    const file = path.join(dir, 'pgpass')
    writeFileSync(
      file,
      `# host:port:database:user:password\n` +
        `127.0.0.1:${pair.source.port}:*:cli_pgpass:${password}\n` +
        `127.0.0.1:${pair.target.port}:*:cli_pgpass:${password}\n`,
      { mode: 0o600 },
    )
    const r = await cli(
      [
        'run',
        '--source',
        `postgres://cli_pgpass@127.0.0.1:${pair.source.port}/${db}`,
        '--target',
        `postgres://cli_pgpass@127.0.0.1:${pair.target.port}/postgres`,
        '--type',
        'full',
      ],
      { PGPASSFILE: file, PGFERRY_SOURCE_PASSWORD: '', PGFERRY_TARGET_PASSWORD: '' },
    )
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(DRIVER_WARNING)
    expect(r.stdout + r.stderr).not.toContain(password)
    const n = await pair.target.query<{ n: number }>(`SELECT count(*)::int AS n FROM t`, [], db)
    expect(n.rows).toEqual([{ n: 30 }])
  }, 180_000)

  it('--exclude-tables, --start-at and --replica-identity reach the library; precheck --json gives the fixes in CLI words', async () => {
    const db = await pair.source.createDatabase('cli_more_flags')
    await pair.source.query(
      `CREATE SCHEMA app;
       CREATE TABLE app.kept (id int PRIMARY KEY);
       CREATE TABLE app.audit (id int PRIMARY KEY);
       CREATE TABLE app.nokey (v int);
       INSERT INTO app.kept SELECT g FROM generate_series(1, 20) g;
       INSERT INTO app.audit SELECT g FROM generate_series(1, 20) g;`,
      [],
      db,
    )
    const conn = ['--source', pair.source.url(db), '--target', pair.target.url()]
    const inc = [...conn, '--type', 'full+incremental', '--skip', 'source.open-transactions']
    const [required, allowed, json] = await Promise.all([
      cli(['precheck', ...inc]),
      cli(['precheck', ...inc, '--replica-identity', 'full-for-keyless']),
      cli(['precheck', ...conn, '--type', 'full', '--json']),
    ])
    // the keyless table fails the check unless the flag lets pgferry set REPLICA IDENTITY FULL
    expect(required.stdout, required.stderr).toMatch(/FAIL source\.replica-identity/)
    expect(required.stdout).toMatch(/--replica-identity full-for-keyless/)
    expect(allowed.stdout, allowed.stderr).toMatch(/ok {3}source\.replica-identity: pgferry sets/)
    const report = json.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type?: string; items?: Record<string, unknown>[] })
      .find((l) => l.type === 'precheck')
    const free = report?.items?.find((i) => i.id === 'target.free-space')
    expect(free?.fix, json.stdout).toMatch(/--target-free-bytes BYTES/)
    expect(free).not.toHaveProperty('cliFix')
    expect(JSON.stringify(report)).not.toMatch(LIBRARY_CALL)

    // --exclude-tables leaves a table out; --start-at is kept and waited for
    const startAt = new Date(Date.now() + 1000).toISOString()
    const run = await cli([
      'run',
      ...conn,
      '--type',
      'full',
      '--database',
      `${db}:${db}_x`,
      '--schema',
      'app',
      '--exclude-tables',
      'app.audit',
      '--start-at',
      startAt,
    ])
    expect(run.code, run.stdout + run.stderr).toBe(0)
    const id = /task ([0-9a-f-]{36}) \(full\)/.exec(run.stdout)?.[1] ?? ''
    const tables = await pair.target.query<{ t: string }>(
      `SELECT relname AS t FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'app' AND c.relkind = 'r' ORDER BY 1`,
      [],
      `${db}_x`,
    )
    expect(tables.rows).toEqual([{ t: 'kept' }, { t: 'nokey' }])
    const stored = await pair.target.query<{ config: Record<string, unknown> }>(
      `SELECT config FROM pgferry.task WHERE id = $1`,
      [id],
    )
    expect(stored.rows[0]?.config).toMatchObject({ startAt })
    const structure = await pair.target.query<{ at: Date }>(
      `SELECT min(at) AS at FROM pgferry.event WHERE task_id = $1 AND name = 'task:state'
          AND payload->>'to' = 'running_structure'`,
      [id],
    )
    // nothing ran before the start time
    expect(structure.rows[0]?.at.getTime()).toBeGreaterThanOrEqual(Date.parse(startAt))
  }, 180_000)

  it('an ambiguous id prefix is refused, naming the tasks it matches', async () => {
    const db = await pair.source.createDatabase('cli_prefix')
    await pair.source.query(`CREATE TABLE t (id int PRIMARY KEY)`, [], db)
    const conn = ['--source', pair.source.url(db), '--target', pair.target.url()]
    // two tasks whose ids share a prefix: ids are random UUIDs, so the second is a copy of the
    // first's row under an id with the same first 8 characters
    const config = path.join(dir, 'prefix.json')
    writeFileSync(config, JSON.stringify({ type: 'structure' }))
    const first = await cli(['run', ...conn, '--config', config, '--name', 'a'])
    expect(first.code, first.stdout + first.stderr).toBe(0)
    const id = /task ([0-9a-f-]{36}) \(structure\)/.exec(first.stdout)?.[1] ?? ''
    // its 10th character differs from the first's, so 10 characters pick one (a fixed '0' there
    // collided with 1 random id in 16)
    const twin = `${id.slice(0, 8)}-${id[9] === '0' ? '1' : '0'}000-4000-8000-000000000000`
    await pair.target.query(
      `INSERT INTO pgferry.task (id, name, type, state, config, tags, stage)
       SELECT $2, 'twin', type, state, config, tags, stage FROM pgferry.task WHERE id = $1`,
      [id, twin],
    )
    const r = await cli(['resume', id.slice(0, 8), '--target', pair.target.url()])
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.stderr).toMatch(/ambiguous/)
    expect(r.stderr).toContain(id)
    expect(r.stderr).toContain(twin)
    // one more character than they share picks one
    const one = await cli(['status', id.slice(0, 10), '--target', pair.target.url(), '--json'])
    expect(one.code, one.stdout + one.stderr).toBe(0)
    expect(one.stdout).toContain(id)
  }, 180_000)
})
