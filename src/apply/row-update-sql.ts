/**
 * The statement of an UPDATE that no set-based run takes (ChangeWriter): a REPLICA IDENTITY FULL
 * change with no old column to match by, or one by key whose old key was not sent. The row is found
 * by its key, or by its whole old image (full-row-match.ts), one row of identical ones.
 */
import type { UpdateMessage } from '../wal/pgoutput-messages.js'
import { keyValues } from './change-run.js'
import { fullMask, fullMatch, fullRowValues } from './full-row-match.js'
import type { PlannedStatement, RelationPlan } from './relation-plan.js'

/** The statement, and the values that find the row (after the SET values). */
export interface RowUpdateSql {
  readonly statement: PlannedStatement
  /** By key: the key's values; FULL: every old column (`undefined`: not sent, not matched). */
  readonly where: readonly (string | null | undefined)[]
  /** Found by the whole old image: no key to name in an error. */
  readonly full: boolean
}

/** Build (once per plan and shape) the one-row UPDATE setting `sets`; `shape` says which are sent. */
export function rowUpdateSql(
  plan: RelationPlan,
  m: UpdateMessage,
  shape: string,
  sets: readonly number[],
): RowUpdateSql {
  let mask = shape
  const old = m.oldTuple
  const full = m.oldKind === 'O' && old !== undefined
  let where: (string | null | undefined)[]
  if (full) {
    where = fullRowValues(plan, old)
    mask += `:O${fullMask(where)}`
  } else {
    const source = m.oldKind === 'K' && old !== undefined ? old : m.newTuple
    where = keyValues(plan, source, 'UPDATE')
    mask += ':K'
  }
  const statement = plan.statement(`U${mask}`, () => {
    const set = sets.map((i, k) => `${plan.columns[i] ?? ''} = $${k + 1}::${plan.types[i] ?? ''}`)
    const match = full ? fullMatch(plan, sets.length + 1, where) : plan.keyMatch(sets.length + 1)
    return full
      ? `UPDATE ${plan.only} SET ${set.join(', ')} WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ${plan.only} WHERE ${match} LIMIT 1)`
      : `UPDATE ${plan.only} SET ${set.join(', ')} WHERE ${match}`
  })
  return { statement, where, full }
}
