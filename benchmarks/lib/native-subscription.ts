/**
 * PostgreSQL's own publication/subscription, the peer every pgferry apply benchmark is measured
 * against: same source cluster, same target cluster, the subscription with the major's defaults.
 */
import type { Cluster } from '../../test/harness/cluster.js'
import { quoteIdent } from '../../src/pg/quote.js'
import { sleep } from './wait-for.js'

export interface NativeSubscription {
  /** Subscription name, which is also the slot's name on the source. */
  readonly name: string
  /** `pg_subscription.substream` as the major left it: `off`, `on` or `parallel`. */
  readonly streaming: string
  /** Drop the subscription (and with it the slot) and the publication. */
  drop(): Promise<void>
}

export interface NativeSubscriptionOptions {
  /** `WITH (…)` options beyond the defaults, e.g. `copy_data = false`. Defaults to none. */
  readonly with?: string
}

/**
 * Publish every table of `db` on the source and subscribe to it from the database of the same name
 * on the target (whose tables must exist). Resolves once every table is synchronized and the
 * worker streams.
 */
export async function startNativeSubscription(
  source: Cluster,
  target: Cluster,
  db: string,
  options: NativeSubscriptionOptions = {},
): Promise<NativeSubscription> {
  const name = `native_sub_${db}`
  const pub = `native_pub_${db}`
  await source.query(`CREATE PUBLICATION ${quoteIdent(pub)} FOR ALL TABLES`, [], db)
  const conn = `host=127.0.0.1 port=${source.port} user=postgres dbname=${db} application_name=${name}`
  await target.query(
    `CREATE SUBSCRIPTION ${quoteIdent(name)} CONNECTION '${conn}' PUBLICATION ${quoteIdent(pub)}` +
      (options.with !== undefined ? ` WITH (${options.with})` : ''),
    [],
    db,
  )
  for (let i = 0; ; i++) {
    const r = await target.query<{ pending: number }>(
      `SELECT count(*)::int AS pending FROM pg_subscription_rel sr JOIN pg_subscription s ON s.oid = sr.srsubid WHERE s.subname = $1 AND sr.srsubstate <> 'r'`,
      [name],
      db,
    )
    const s = await source.query(
      `SELECT 1 FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
      [name],
    )
    if (r.rows[0]?.pending === 0 && (s.rowCount ?? 0) > 0) break
    if (i > 6000) throw new Error(`native subscription ${name} did not become ready in 10 min`)
    await sleep(100)
  }
  // substream is a boolean before 16 and a char ('f', 't', 'p') from 16 on.
  const st = await target.query<{ s: string }>(
    `SELECT substream::text AS s FROM pg_subscription WHERE subname = $1`,
    [name],
    db,
  )
  const raw = st.rows[0]?.s ?? '?'
  const streaming =
    raw === 'p' ? 'parallel' : raw === 't' || raw === 'true' ? 'on' : raw === '?' ? raw : 'off'
  return {
    name,
    streaming,
    drop: async () => {
      await target.query(`DROP SUBSCRIPTION ${quoteIdent(name)}`, [], db)
      await source.query(`DROP PUBLICATION ${quoteIdent(pub)}`, [], db)
    },
  }
}
