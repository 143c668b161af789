/**
 * Item `source.replication-capacity`: a `full+incremental` task takes one replication slot and one
 * WAL sender per migrated database, on top of those already in use; both limits must be greater
 * than that sum (one to spare, as the service asks). Both settings need a restart.
 */
import { readReplicationUse } from '../catalog/activity.js'
import { readSettings } from '../catalog/settings.js'
import { found, passed } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckFix, PrecheckItem } from './precheck-report.js'

const ID = 'source.replication-capacity'
const TITLE = 'source max_replication_slots and max_wal_senders suffice'

export async function checkReplicationCapacity(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task uses no replication slot`)
  const n = input.databases.length
  const s = await readSettings(input.source, ['max_replication_slots', 'max_wal_senders'])
  const used = await readReplicationUse(input.source)
  const limits = [
    {
      name: 'max_replication_slots',
      value: Number(s.get('max_replication_slots')?.setting),
      inUse: used.slots,
    },
    {
      name: 'max_wal_senders',
      value: Number(s.get('max_wal_senders')?.setting),
      inUse: used.senders,
    },
  ]
  const short = limits.filter((l) => !(l.value > n + l.inUse))
  const text = (l: (typeof limits)[number]): string =>
    `${l.name} = ${l.value} (needs > ${n} database${n === 1 ? '' : 's'} + ${l.inUse} in use = ${n + l.inUse})`
  if (short.length === 0) return passed(ID, TITLE, limits.map(text).join('; '))
  const fixes: PrecheckFix[] = short.map((l) => ({
    side: 'source',
    sql: `ALTER SYSTEM SET ${l.name} = ${n + l.inUse + 1};`,
    restart: true,
  }))
  return found(
    ID,
    TITLE,
    'fail',
    `too few on the source: ${short.map(text).join('; ')}`,
    fixes,
    short.map((l) => l.name),
  )
}
