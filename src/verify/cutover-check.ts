/**
 * `complete`'s consistency check of one database, after the drain and before anything is dropped:
 * by default every row (`checksum`), or row counts, or nothing. The sync is stopped and the caller
 * has stopped writes, so the data is at rest and a difference is reported as first found.
 */
import { PgferryError } from '../errors.js'
import type { StageContext } from '../model/stage.js'
import type { VerifiedTable } from './verified-tables.js'
import { runVerify } from './verify-run.js'
import type { TableVerifyReport } from './verify-report.js'

/**
 * What `complete` compares after the drain. Defaults to `'checksum'`.
 * @public
 */
export type CompleteVerifyMode = 'checksum' | 'count' | 'none'

/** Every {@link CompleteVerifyMode}. */
export const COMPLETE_VERIFY_MODES: readonly CompleteVerifyMode[] = ['checksum', 'count', 'none']

/** Throw `PGFERRY_OPTIONS_INVALID` unless `mode` is a {@link CompleteVerifyMode}. */
export function checkCompleteVerifyMode(mode: unknown): void {
  if (mode === undefined || COMPLETE_VERIFY_MODES.includes(mode as CompleteVerifyMode)) return
  throw new PgferryError('PGFERRY_OPTIONS_INVALID', `complete: verify ${String(mode)} is unknown`, {
    fix: "use 'checksum' (the default), 'count' or 'none'",
  })
}

/** Compare `tables` of one database; the tables that differ. */
export async function checkMigratedTables(
  ctx: StageContext,
  database: { readonly sourceDatabase: string; readonly targetDatabase: string },
  tables: readonly VerifiedTable[],
  mode: CompleteVerifyMode,
): Promise<TableVerifyReport[]> {
  if (mode === 'none' || tables.length === 0) return []
  const report = await runVerify(
    {
      taskId: ctx.taskId,
      emit: ctx.emit,
      signal: ctx.signal,
      connect: (side, name) => ctx.connect(side, { database: name }),
      settle: () => undefined,
    },
    [{ ...database, tables }],
    { mode },
  )
  return report.tables.filter((t) => t.status !== 'equal')
}

/** Keys named in the error per table, at most. */
const KEYS_NAMED = 5

/** The error of a cutover whose check found differences: tables, row counts and keys. */
export function verifyMismatchError(differing: readonly TableVerifyReport[]): PgferryError {
  const tables = differing.map((t) => {
    const keys = t.differences.slice(0, KEYS_NAMED).map(
      (d) =>
        `${d.kind} ${Object.entries(d.key)
          .map(([k, v]) => `${k}=${v ?? 'NULL'}`)
          .join(',')}`,
    )
    const more = t.differenceCount > KEYS_NAMED ? ` and ${t.differenceCount - KEYS_NAMED} more` : ''
    const rows = `source ${t.sourceRows} rows, target ${t.targetRows}`
    return `${t.database}: ${t.table} (${rows}${keys.length > 0 ? `; ${keys.join('; ')}${more}` : ''})`
  })
  return new PgferryError(
    'PGFERRY_VERIFY_MISMATCH',
    `the target differs from the source after the drain: ${tables.join(' | ')}`,
    {
      fix: 'make sure nothing writes to the source or the target during complete, and fix the rows named on the target (verify(task) lists them with both sides); the slot is kept, so call startIncremental or complete again once fixed',
      cliFix:
        'make sure nothing writes to the source or the target during complete, and fix the rows named on the target (pgferry verify <task id> lists them with both sides); the slot is kept, so run pgferry resume <task id> or pgferry complete <task id> again once fixed',
    },
  )
}
