/**
 * Waiting until a running sync has applied everything the source has written so far.
 */
import type { IncrementalSync } from '../../src/apply/incremental-sync.js'
import type { LagSample } from '../../src/apply/database-apply.js'
import { parseLsn } from '../../src/wal/lsn.js'
import type { Cluster } from './cluster.js'
import { eventually } from './incremental-fixture.js'

/**
 * Wait until every source change so far is committed on the target: the applied position reaches
 * the source's WAL position read now (a failed apply never gets there, and its failure is thrown).
 */
export async function caughtUp(sync: IncrementalSync, source: Cluster, ms = 60_000): Promise<void> {
  let failure: unknown
  sync.done.catch((e: unknown) => {
    failure = e
  })
  const r = await source.query<{ l: string }>(`SELECT pg_current_wal_lsn()::text AS l`)
  const fence = parseLsn(r.rows[0]?.l ?? '0/0')
  await eventually(async () => {
    if (failure !== undefined) throw failure
    const lags = (await sync.lag()) as readonly LagSample[]
    return lags.every((l) => parseLsn(l.appliedLsn) >= fence)
  }, ms)
}
