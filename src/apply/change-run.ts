/**
 * A run of changes of one table and shape (ChangeWriter), and the values that name a change's row:
 * its key, or for a REPLICA IDENTITY FULL table its old image.
 */
import { PgferryError } from '../errors.js'
import { columnText, type TupleData, type UpdateMessage } from '../wal/pgoutput-messages.js'
import type { RelationPlan } from './relation-plan.js'
import type { FullRunLead } from './full-run-sql.js'

/**
 * A run of changes of one table and shape, kept column-major as text: INSERTs (`I`); UPDATEs by key
 * (`U`: the SET columns' values, then the old key's); DELETEs by key (`D`: the key's); UPDATEs or
 * DELETEs by a REPLICA IDENTITY FULL old image (`F`: the SET columns' values, then the old image's).
 */
export interface ChangeRun {
  kind: 'I' | 'U' | 'D' | 'F'
  plan: RelationPlan
  /** UPDATE: which columns are set, and the statement shape. */
  sets: readonly number[]
  shape: string
  /** F: the old image's columns matched. */
  match: readonly number[]
  columns: (string | null)[][]
  rows: number
  /** Characters of the values in `columns` (pushValue): a run is sent once it holds RUN_BYTES. */
  bytes: number
  /**
   * U: keys in the run, old and new (UPDATE … FROM would apply only one of two updates of a row,
   * and finds a row by its key as it was before the statement); F UPDATE: the new images.
   */
  seen: Set<string | number> | undefined
  /**
   * U with the key changed (shape `…:K`): the run's old keys. A change whose new key is one of them
   * ends the run, so no row of a run takes a key another row of it still holds: the set-based
   * statement cannot meet a key collision in between, whatever order it updates its rows in.
   */
  olds?: Set<string>
}

/**
 * A run is sent once its values hold this many characters, however few its rows (issue 11): its
 * strings, pg's array literals of them and the Bind message each hold about as much again, for the
 * run in flight and the one being built. 2,000 rows of 100 kB each would otherwise be 200 MB a run.
 */
export const RUN_BYTES = 2 * 1024 * 1024

/** Add a value to column `c` of `run`, counting its characters. */
export function pushValue(run: ChangeRun, c: number, v: string | null | undefined): void {
  const value = v ?? null
  ;(run.columns[c] as (string | null)[]).push(value)
  if (value !== null) run.bytes += value.length
}

export const EMPTY: readonly number[] = []

/** The first matched column that leads a target index, to narrow a FULL run by (full-run-sql.ts). */
export function fullLead(run: ChangeRun): FullRunLead | undefined {
  for (let k = 0; k < run.match.length; k++) {
    if (!run.plan.isIndexed(run.match[k] as number)) continue
    const values = run.columns[run.sets.length + k] as (string | null)[]
    return { k, nulls: values.includes(null) }
  }
  return undefined
}

/**
 * By place in a FULL run's `match`: whether the column is matched by its type's `=`
 * (full-run-sql.ts): its equality agrees with its text, and the run has no NULL in it.
 */
export function fullTyped(run: ChangeRun): boolean[] {
  const typed: boolean[] = new Array<boolean>(run.match.length)
  for (let k = 0; k < run.match.length; k++) {
    typed[k] =
      run.plan.isTextEqual(run.match[k] as number) &&
      !(run.columns[run.sets.length + k] as (string | null)[]).includes(null)
  }
  return typed
}

/**
 * An UPDATE's shape (`s`/`u` per column: set or not) and its SET columns and values. Without an old
 * image the key did not change: leaving it out of SET also lets a GENERATED ALWAYS identity key
 * through (it "can only be updated to DEFAULT"); with an old image, a column whose old and new text
 * are the same is left out for the same reason. Unchanged TOAST and unwritten columns are never set.
 */
export function updateSets(
  plan: RelationPlan,
  m: UpdateMessage,
): { mask: string; sets: number[]; values: (string | null)[] } {
  let mask = ''
  const values: (string | null)[] = []
  const sets: number[] = []
  const keyKept = m.oldKind === undefined
  const before = m.oldTuple
  const whole = m.oldKind === 'O'
  const tuple = m.newTuple
  for (let i = 0; i < plan.columns.length; i++) {
    const v = columnText(tuple, i)
    if (
      v === undefined ||
      !plan.isWritten(i) ||
      (keyKept && plan.isKey(i)) ||
      (before !== undefined && (whole || plan.isKey(i)) && columnText(before, i) === v)
    ) {
      mask += 'u'
      continue
    }
    mask += 's'
    sets.push(i)
    values.push(v)
  }
  return { mask, sets, values }
}

/** The key after an UPDATE as a run's id: a key column not sent (unchanged TOAST) kept as it was. */
export function newKeyId(
  plan: RelationPlan,
  tuple: TupleData,
  old: readonly (string | null)[],
): string {
  const keys = plan.keys
  const parts: string[] = new Array<string>(keys.length)
  for (let k = 0; k < keys.length; k++) {
    const v = columnText(tuple, keys[k] as number)
    parts[k] = v === undefined || v === null ? (old[k] ?? '') : v
  }
  return parts.length === 1 ? (parts[0] as string) : parts.join('\u0000')
}

/** Key column values from `tuple`; a key column must have been sent. */
export function keyValues(plan: RelationPlan, tuple: TupleData, what: string): (string | null)[] {
  const keys = plan.keys
  if (keys.length === 0) {
    throw new PgferryError(
      'PGFERRY_APPLY_FAILED',
      `${what} on ${plan.label}: the table has no replica identity key`,
      {
        fix: `ALTER TABLE ${plan.label} REPLICA IDENTITY FULL (or add a primary key) on the source`,
      },
    )
  }
  const values: (string | null)[] = new Array<string | null>(keys.length)
  for (let k = 0; k < keys.length; k++) {
    const v = columnText(tuple, keys[k] as number)
    if (v === undefined || v === null) {
      throw new PgferryError(
        'PGFERRY_APPLY_FAILED',
        `${what} on ${plan.label}: key column ${plan.columns[keys[k] as number] ?? ''} was not sent`,
      )
    }
    values[k] = v
  }
  return values
}
