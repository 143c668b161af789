/**
 * Item `source.slot-settings`: settings that put a running incremental task at risk, a warning each.
 * - `max_slot_wal_keep_size` (v13+) other than -1: a slot that falls that far behind (a long full
 *   load, a paused task) is invalidated, and the task must start over.
 * - `wal_sender_timeout` of 0 (a dead connection keeps its WAL sender and slot busy forever) or
 *   under 10 s (a long target transaction can trip it).
 * Both take effect on reload.
 */
import { readSettings } from '../catalog/settings.js'
import { found, passed, statements } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'source.slot-settings'
const TITLE = 'source max_slot_wal_keep_size and wal_sender_timeout are safe'

/** Below this, `wal_sender_timeout` is reported. */
export const MIN_WAL_SENDER_TIMEOUT_MS = 10_000

export async function checkSlotSettings(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task uses no replication slot`)
  const s = await readSettings(input.source, ['max_slot_wal_keep_size', 'wal_sender_timeout'])
  const risks: string[] = []
  const sql: string[] = []
  const keep = s.get('max_slot_wal_keep_size')
  if (keep !== undefined && Number(keep.setting) !== -1) {
    risks.push(
      `max_slot_wal_keep_size = ${keep.setting}${keep.unit ?? ''}: the slot is invalidated if it falls that far behind, and the task must start over`,
    )
    sql.push(`ALTER SYSTEM SET max_slot_wal_keep_size = -1;`)
  }
  const timeout = s.get('wal_sender_timeout')
  const ms = Number(timeout?.setting)
  if (timeout !== undefined && (ms === 0 || ms < MIN_WAL_SENDER_TIMEOUT_MS)) {
    risks.push(
      ms === 0
        ? `wal_sender_timeout = 0: a dead connection keeps its WAL sender and slot busy`
        : `wal_sender_timeout = ${ms}ms: a long apply transaction on the target can time the stream out`,
    )
    sql.push(`ALTER SYSTEM SET wal_sender_timeout = '60s';`)
  }
  if (risks.length === 0)
    return passed(
      ID,
      TITLE,
      [...s.values()].map((x) => `${x.name} = ${x.setting}${x.unit ?? ''}`).join(', '),
    )
  return found(
    ID,
    TITLE,
    'warn',
    risks.join('; '),
    statements('source', undefined, [...sql, 'SELECT pg_reload_conf();']),
    [
      ...(keep !== undefined && sql.some((x) => x.includes('keep'))
        ? ['max_slot_wal_keep_size']
        : []),
      ...(sql.some((x) => x.includes('sender')) ? ['wal_sender_timeout'] : []),
    ],
  )
}
