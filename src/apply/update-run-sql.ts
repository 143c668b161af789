/**
 * The statements of a set-based UPDATE run (ChangeWriter): one row of text arrays per SET column,
 * then per key column, joined to the table by the key.
 *
 * A GENERATED ALWAYS identity column may be set only to DEFAULT, yet every column of the new row
 * is sent, so it is nearly always in the run's SET list while its value almost never changes (on
 * the source only `SET n = DEFAULT` changes it). It is left out of the main statement, which counts
 * the rows whose identity value differs from the source's; only when some do is the column relaxed
 * for the transaction and set by a second statement (`identity`). Relaxing it for every run cost
 * two ALTER TABLEs and a re-plan per target transaction (measured 2–4 ms on 16).
 */
import type { PlannedStatement, RelationPlan } from './relation-plan.js'

/** The statements of one run shape. */
export interface UpdateRunSql {
  /** SET columns besides the ALWAYS identity one: what decides whether row order can matter. */
  readonly others: readonly number[]
  /** The main statement. */
  readonly main: PlannedStatement
  /** `main` returns one row `(found, moved)` instead of a row count. */
  readonly counted: boolean
  /** Sets the ALWAYS identity column where it differs; run only after relaxing it. */
  readonly identity: PlannedStatement | undefined
}

/** Build (once per plan and shape) the statements of an UPDATE run setting `sets`. */
export function updateRunSql(
  plan: RelationPlan,
  shape: string,
  sets: readonly number[],
): UpdateRunSql {
  let always = -1
  const others: number[] = []
  for (let k = 0; k < sets.length; k++) {
    if (always < 0 && plan.setsAlwaysIdentity([sets[k] as number])) always = k
    else others.push(sets[k] as number)
  }
  // the texts are built once per plan and shape (RelationPlan.statement), on first use
  const parts = (): { set: string[]; from: string; match: string } => {
    const arrays: string[] = []
    const names: string[] = []
    const set: string[] = []
    const where: string[] = []
    for (let k = 0; k < sets.length; k++) {
      const i = sets[k] as number
      arrays.push(`$${arrays.length + 1}::text[]`)
      names.push(`s${k}`)
      if (k !== always) set.push(`${plan.columns[i] ?? ''} = u.s${k}::${plan.types[i] ?? ''}`)
    }
    const keys = plan.keys
    for (let k = 0; k < keys.length; k++) {
      const i = keys[k] as number
      arrays.push(`$${arrays.length + 1}::text[]`)
      names.push(`k${k}`)
      where.push(`t.${plan.columns[i] ?? ''} = u.k${k}::${plan.types[i] ?? ''}`)
    }
    const from = `unnest(${arrays.join(', ')}) AS u(${names.join(', ')})`
    return { set, from, match: where.join(' AND ') }
  }
  if (always < 0) {
    const main = plan.statement(`UN${shape}`, () => {
      const { set, from, match } = parts()
      return `UPDATE ${plan.only} AS t SET ${set.join(', ')} FROM ${from} WHERE ${match}`
    })
    return { others, main, counted: false, identity: undefined }
  }
  const a = sets[always] as number
  const col = plan.columns[a] ?? ''
  const differs = `t.${col} IS DISTINCT FROM u.s${always}::${plan.types[a] ?? ''}`
  const main = plan.statement(`UC${shape}`, () => {
    const { set, from, match } = parts()
    return set.length === 0
      ? `SELECT count(*)::int AS found, count(*) FILTER (WHERE ${differs})::int AS moved
           FROM ${plan.only} AS t, ${from} WHERE ${match}`
      : `WITH w AS (UPDATE ${plan.only} AS t SET ${set.join(', ')} FROM ${from} WHERE ${match}
                    RETURNING ${differs} AS moved)
         SELECT count(*)::int AS found, count(*) FILTER (WHERE moved)::int AS moved FROM w`
  })
  const identity = plan.statement(`UI${shape}`, () => {
    const { from, match } = parts()
    return `UPDATE ${plan.only} AS t SET ${col} = u.s${always}::${plan.types[a] ?? ''} FROM ${from} WHERE ${match} AND ${differs}`
  })
  return { others, main, counted: true, identity }
}
