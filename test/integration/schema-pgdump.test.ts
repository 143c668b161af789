/**
 * The pg_dump oracle: where Debian's pg_dump 15 can read both servers (≤ 15), a normalised
 * `pg_dump --schema-only` of the source and of the target must be identical.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTask } from '../../src/index.js'
import { startPair, type Cluster, type ClusterPair } from '../harness/cluster.js'
import { RICH_SQL, ensureRoles, passPrecheck } from '../fixtures/schema/schema-suite.js'

const PG_DUMP = '/usr/lib/postgresql/15/bin/pg_dump'
const run = promisify(execFile)

async function dump(c: Cluster, db: string): Promise<string> {
  const { stdout } = await run(
    PG_DUMP,
    ['--schema-only', '-h', c.host, '-p', String(c.port), '-U', 'postgres', '-d', db],
    { maxBuffer: 64 * 1024 * 1024 },
  )
  return stdout
    .split('\n')
    .filter(
      (l) =>
        l.trim() !== '' &&
        !l.startsWith('--') &&
        !l.startsWith('SET ') &&
        !l.startsWith('\\restrict') &&
        !l.startsWith('\\unrestrict') &&
        !l.startsWith('SELECT pg_catalog.set_config'),
    )
    .join('\n')
}

/**
 * What differs between a v12 and a v14 server for the same objects, and only that: v14 names a
 * range's multirange type, writes `IN` before procedure arguments, and quotes `normalize` (a
 * keyword since v13).
 */
function acrossVersions(d: string): string {
  return d
    .split('\n')
    .filter((l) => !/^\s+multirange_type_name = /.test(l))
    .join('\n')
    .replace(/([(,] ?)IN /g, '$1')
    .replace(/"normalize"/g, 'normalize')
}

describe.skipIf(!existsSync(PG_DUMP))('pg_dump --schema-only oracle (12 → 14)', () => {
  let pair: ClusterPair
  beforeAll(async () => {
    pair = await startPair(12, 14)
    await ensureRoles(pair)
  })
  afterAll(async () => {
    await pair?.stop()
  })

  it('dumps the same schema from source and target', async () => {
    const db = await pair.source.createDatabase('dump')
    await pair.source.query(RICH_SQL, [], db)
    const task = await createTask({
      name: 'dump',
      source: pair.source.config(db),
      target: pair.target.config('postgres'),
      type: 'structure',
      store: 'memory',
    })
    try {
      await passPrecheck(task)
      await task.migrateSchema()
    } finally {
      await task.close()
    }
    const [a, b] = await Promise.all([dump(pair.source, db), dump(pair.target, db)])
    expect(a.length).toBeGreaterThan(5000)
    expect(acrossVersions(b)).toBe(acrossVersions(a))
  })
})
if (!existsSync(PG_DUMP))
  console.warn(`skipped: ${PG_DUMP} is not installed (Debian postgresql-client-15)`)
