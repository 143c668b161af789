/**
 * Item `source.open-transactions`: creating a logical replication slot waits until every
 * transaction running at that moment has ended, so a long-running or prepared (two-phase)
 * transaction stalls the start of an incremental task — a warning, naming each. Only sessions the
 * source user can see are counted (pg_read_all_stats shows all).
 */
import { readLongTransactions, readPreparedTransactions } from '../catalog/activity.js'
import { quoteLiteral } from '../pg/quote.js'
import { found, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'source.open-transactions'
const TITLE = 'no long-running or prepared transactions on the source'

export async function checkOpenTransactions(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task creates no replication slot`)
  const long = await readLongTransactions(input.source, input.longTransactionSeconds)
  const prepared = await readPreparedTransactions(input.source)
  if (long.length === 0 && prepared.length === 0)
    return passed(
      ID,
      TITLE,
      `no prepared transaction and no transaction open ≥ ${input.longTransactionSeconds} s`,
    )
  const fixes: PrecheckFix[] = []
  const found_: string[] = []
  if (long.length > 0) {
    found_.push(
      `transactions open ≥ ${input.longTransactionSeconds} s: ${long
        .map(
          (t) =>
            `pid ${t.pid} (${t.user ?? '?'}@${t.database ?? '?'}, ${Math.round(t.seconds)} s, ${t.state ?? '?'})`,
        )
        .join(', ')}`,
    )
    fixes.push(
      ...statements(
        'source',
        undefined,
        long.map((t) => `SELECT pg_terminate_backend(${t.pid});`),
      ),
    )
  }
  if (prepared.length > 0) {
    found_.push(
      `prepared transactions (finish each with COMMIT PREPARED or ROLLBACK PREPARED in its database): ${prepared
        .map((p) => `'${p.gid}' in ${p.database}`)
        .join(', ')}`,
    )
    const byDb = new Map<string, string[]>()
    for (const p of prepared)
      byDb.set(p.database, [
        ...(byDb.get(p.database) ?? []),
        `ROLLBACK PREPARED ${quoteLiteral(p.gid)};`,
      ])
    for (const [database, sql] of byDb) fixes.push(...statements('source', database, sql))
  }
  return found(
    ID,
    TITLE,
    'warn',
    `they delay the creation of the replication slot until they end: ${found_.join('; ')}`,
    fixes,
    [...long.map((t) => `pid ${t.pid}`), ...prepared.map((p) => p.gid)],
  )
}
