/**
 * The errors of writing a change (ChangeWriter): a row the source changed is missing on the target,
 * or the target refused the statement. Both name the table, and the key where one is known.
 */
import { PgferryError, messageOf } from '../errors.js'
import type { RelationPlan } from './relation-plan.js'

/** `(k1, k2)=(77, k77)`, as the server words a key in its messages. */
function keyText(plan: RelationPlan, key: readonly (string | null)[]): string {
  const names = plan.keys.map((i) => plan.relation.columns[i]?.name ?? '')
  return `(${names.join(', ')})=(${key.map((v) => v ?? 'NULL').join(', ')})`
}

/**
 * A row the source changed is not on the target: it diverged (changed behind the task). `missing`:
 * of a set-based run, how many of how many rows (a DELETE run no longer has the rows it found, so
 * which key was missing is not known).
 */
export function missingRow(
  plan: RelationPlan,
  what: string,
  key?: readonly (string | null)[],
  missing?: readonly [number, number],
): PgferryError {
  const row =
    key !== undefined
      ? `the row with key ${keyText(plan, key)}`
      : missing !== undefined
        ? `a row (${missing[0]} of the ${missing[1]} rows of one set-based statement)`
        : 'the row'
  return new PgferryError(
    'PGFERRY_APPLY_FAILED',
    `${what} on ${plan.label}: ${row} is not on the target (the target diverged from the source; nothing after it was applied)`,
    {
      retryable: false,
      fix: `restore ${row} on the target as the source has it (insert it, or copy ${plan.label} again), then start the sync again (startIncremental)`,
    },
  )
}

const UNIQUE_VIOLATION_CODE = '23505'

export function applyFailed(table: string, what: string, error: unknown): PgferryError {
  if (error instanceof PgferryError) return error
  const detail = (error as { detail?: unknown }).detail
  if ((error as { code?: unknown }).code === UNIQUE_VIOLATION_CODE) {
    // the same statement fails the same way until the target is mended: not retryable as it is
    return new PgferryError(
      'PGFERRY_APPLY_FAILED',
      `${what} on ${table} failed: ${messageOf(error)}${typeof detail === 'string' ? ` (${detail})` : ''}: a row with that key is on the target but not on the source (the target diverged; nothing after it was applied)`,
      {
        cause: error,
        retryable: false,
        fix: `delete that row from ${table} on the target (it was put there behind the task), then start the sync again (startIncremental)`,
      },
    )
  }
  return new PgferryError(
    'PGFERRY_APPLY_FAILED',
    `${what} on ${table} failed: ${messageOf(error)}${typeof detail === 'string' ? ` (${detail})` : ''}`,
    {
      cause: error,
    },
  )
}
