/**
 * Item `source.wal-level`: logical decoding needs `wal_level = logical` on the source, a setting
 * that only a restart changes. Only `full+incremental` tasks decode WAL.
 */
import { readSettings } from '../catalog/settings.js'
import { found, passed } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'source.wal-level'
const TITLE = 'source wal_level = logical'

export async function checkWalLevel(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.incremental)
    return passed(ID, TITLE, `not needed: a '${input.type}' task does not decode WAL`)
  const level = (await readSettings(input.source, ['wal_level'])).get('wal_level')?.setting
  if (level === 'logical') return passed(ID, TITLE, `wal_level = logical`)
  return found(
    ID,
    TITLE,
    'fail',
    `wal_level = ${level ?? 'unknown'} on the source; logical decoding needs wal_level = logical`,
    [{ side: 'source', sql: `ALTER SYSTEM SET wal_level = 'logical';`, restart: true }],
    ['wal_level'],
  )
}
