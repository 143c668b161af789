/**
 * Items about server settings that only a restart changes, and the version rule. The harness
 * cannot restart a cluster, so: a source started with wal_level=replica and too few slots/senders,
 * and an older target with too few worker processes, put those items in `fail`; then a fresh pair
 * started with exactly the settings the fixes name (`ALTER SYSTEM SET name = value` + restart)
 * shows them `pass`.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { PrecheckFix } from '../../src/precheck/precheck-report.js'
import { startCluster, type Cluster } from '../harness/cluster.js'
import { item, runPrecheck } from './precheck-helpers.js'

const started: Cluster[] = []
afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()))
})

/** `ALTER SYSTEM SET name = value;` fixes as cluster settings. */
function settingsOf(fixes: readonly PrecheckFix[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const f of fixes ?? []) {
    const m = /^ALTER SYSTEM SET (\w+) = '?([^';]+)'?;$/.exec(f.sql)
    expect(m, f.sql).not.toBeNull()
    expect(f.restart).toBe(true)
    out[m![1]!] = m![2]!
  }
  return out
}

describe('restart-only settings and versions', () => {
  it('fails each on a misconfigured pair, and passes on servers started with what the fixes name', async () => {
    const [source, target] = await Promise.all([
      startCluster({
        major: 17,
        settings: { wal_level: 'replica', max_replication_slots: 1, max_wal_senders: 1 },
      }),
      startCluster({
        major: 14,
        settings: { max_worker_processes: 4, max_logical_replication_workers: 4 },
      }),
    ])
    started.push(source, target)
    const db = await source.createDatabase('settings')
    await source.query(`CREATE TABLE t (id int PRIMARY KEY)`, [], db)
    const config = {
      source: source.config(db) as { host: string; port: number; user: string; database: string },
      target: target.url(),
      type: 'full+incremental' as const,
    }
    const report = await runPrecheck(config)
    expect(report.ok).toBe(false)

    const version = item(report, 'target.version')
    expect(version.status).toBe('fail')
    expect(version.message).toMatch(/source 17\.\d+ \(major 17\), target 14\.\d+ \(major 14\)/)
    expect(version.fix).toContain('PostgreSQL 17 or newer')

    const wal = item(report, 'source.wal-level')
    expect(wal.status).toBe('fail')
    expect(wal.message).toContain('wal_level = replica')
    expect(wal.fix).toContain(`ALTER SYSTEM SET wal_level = 'logical';`)
    expect(wal.fix).toContain('restart required')

    const capacity = item(report, 'source.replication-capacity')
    expect(capacity.status).toBe('fail')
    expect(capacity.objects).toEqual(['max_replication_slots', 'max_wal_senders'])
    expect(capacity.fix).toContain('ALTER SYSTEM SET max_replication_slots = 2;')
    expect(capacity.fix).toContain('ALTER SYSTEM SET max_wal_senders = 2;')

    const workers = item(report, 'target.worker-processes')
    expect(workers.status).toBe('fail')
    expect(workers.message).toContain(
      'max_worker_processes = 4, max_logical_replication_workers = 4',
    )
    expect(workers.fix).toContain('ALTER SYSTEM SET max_worker_processes = 8;')
    expect(workers.fix).toContain('restart required')

    // a full task neither decodes WAL nor takes slots: those items pass, the version rule still holds
    const full = await runPrecheck({ ...config, type: 'full' })
    for (const id of ['source.wal-level', 'source.replication-capacity', 'target.worker-processes'])
      expect(`${id}:${item(full, id).status}`).toBe(`${id}:pass`)
    expect(item(full, 'target.version').status).toBe('fail')

    // "restart" = fresh servers with the fixes' settings; the target moves to the source's major
    await Promise.all([source.stop(), target.stop()])
    const [fixedSource, fixedTarget] = await Promise.all([
      startCluster({
        major: 17,
        settings: settingsOf([...(wal.fixes ?? []), ...(capacity.fixes ?? [])]),
      }),
      startCluster({
        major: 17,
        settings: { max_logical_replication_workers: 4, ...settingsOf(workers.fixes) },
      }),
    ])
    started.push(fixedSource, fixedTarget)
    const db2 = await fixedSource.createDatabase('settings')
    await fixedSource.query(`CREATE TABLE t (id int PRIMARY KEY)`, [], db2)
    const fixed = await runPrecheck({
      source: fixedSource.config(db2) as {
        host: string
        port: number
        user: string
        database: string
      },
      target: fixedTarget.url(),
      type: 'full+incremental',
    })
    for (const id of [
      'target.version',
      'source.wal-level',
      'source.replication-capacity',
      'target.worker-processes',
    ])
      expect(`${id}:${item(fixed, id).status}`).toBe(`${id}:pass`)
    expect(item(fixed, 'target.version').message).toContain('source 17')
    expect(fixed.ok).toBe(true)
  })
})
