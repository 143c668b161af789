/**
 * The statement of a set-based DELETE run by key (ChangeWriter): one text array per key column.
 * A one-column key not of an array type is matched with `= ANY($1::type[])`, which the planner
 * turns into one index scan over the sorted values; a wider key (or an array) joins `unnest(…)` on
 * every key column. Either returns the
 * number of rows deleted, which must be the run's rows (one row per key: a key deleted twice needs
 * an INSERT between, which ends the run).
 */
import type { PlannedStatement, RelationPlan } from './relation-plan.js'

/** Build (once per plan) the DELETE of a run of keys. */
export function deleteRunSql(plan: RelationPlan): PlannedStatement {
  return plan.statement('DN', () => {
    const keys = plan.keys
    const one = keys[0] as number
    // `x[]` of an array type is the same type as `x`: ANY would compare the key with its elements
    if (keys.length === 1 && !(plan.types[one] ?? '').endsWith(']')) {
      const i = one
      return `DELETE FROM ${plan.only} WHERE ${plan.columns[i] ?? ''} = ANY ($1::${plan.types[i] ?? ''}[])`
    }
    const { arrays, names, match } = keyUnnest(plan)
    return `DELETE FROM ${plan.only} AS t USING unnest(${arrays.join(', ')}) AS u(${names.join(', ')}) WHERE ${match.join(' AND ')}`
  })
}

/**
 * A run's keys as `unnest(arrays) AS u(names)`, one text array per key column (parameters $1…),
 * and the condition (`match`) that joins `u` to the table aliased `t` by every key column, each
 * value cast to its column's type.
 */
export function keyUnnest(plan: RelationPlan): {
  arrays: string[]
  names: string[]
  match: string[]
} {
  const arrays: string[] = []
  const names: string[] = []
  const match: string[] = []
  for (let k = 0; k < plan.keys.length; k++) {
    const i = plan.keys[k] as number
    arrays.push(`$${k + 1}::text[]`)
    names.push(`k${k}`)
    match.push(`t.${plan.columns[i] ?? ''} = u.k${k}::${plan.types[i] ?? ''}`)
  }
  return { arrays, names, match }
}
