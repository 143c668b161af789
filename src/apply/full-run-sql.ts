/**
 * The statements of a set-based run of DELETEs or UPDATEs on a table without a key (REPLICA
 * IDENTITY FULL), each change naming its row by the whole old image (ChangeWriter).
 *
 * Rows are matched as the one-row statements match them (full-row-match.ts): each column as the
 * target type's text output, so types without an equality operator (json, point, xml) still match;
 * NULL only with NULL. Here that is the pair (`coalesce(c::text, '')`, `c IS NULL`), which the
 * planner can hash: one scan of the table per run, where the row-at-a-time statements scanned it
 * once per row.
 *
 * Rows are a multiset: two changes with the same old image name two rows with that image. The run's
 * images and the table's matching rows are each numbered within their image (`row_number() OVER
 * (PARTITION BY image)`), and the n-th change takes the n-th row, one physical row (tableoid,
 * ctid) each. A change whose old image is another change's new image in the same run ends the run
 * (ChangeWriter), so every image names a row as it was before the run.
 *
 * Parameters: for an UPDATE one text array per SET column, then one per matched old column.
 */
import type { PlannedStatement, RelationPlan } from './relation-plan.js'

/**
 * Build (once per plan and shape) a FULL-identity run's statement; it returns the rows changed.
 * `match` is not empty (a change with no old column to match by goes row by row).
 */
export function fullRunSql(
  plan: RelationPlan,
  shape: string,
  sets: readonly number[],
  match: readonly number[],
): PlannedStatement {
  return plan.statement(shape, () => {
    const arrays: string[] = []
    const names: string[] = []
    const carried: string[] = []
    const set: string[] = []
    for (let k = 0; k < sets.length; k++) {
      const i = sets[k] as number
      arrays.push(`$${arrays.length + 1}::text[]`)
      names.push(`s${k}`)
      carried.push(`s${k}`)
      set.push(`${plan.columns[i] ?? ''} = m.s${k}::${plan.types[i] ?? ''}`)
    }
    const image: string[] = []
    const ofRun: string[] = []
    const ofTable: string[] = []
    const join: string[] = []
    for (let k = 0; k < match.length; k++) {
      const i = match[k] as number
      const col = plan.columns[i] ?? ''
      arrays.push(`$${arrays.length + 1}::text[]`)
      names.push(`o${k}`)
      image.push(`v${k}`, `z${k}`)
      ofRun.push(
        `coalesce((u.o${k}::${plan.types[i] ?? 'text'})::text, '') AS v${k}, u.o${k} IS NULL AS z${k}`,
      )
      // as text: a composite value whose fields are all NULL IS NULL, yet is not NULL
      ofTable.push(`coalesce(${col}::text, '') AS v${k}, ${col}::text IS NULL AS z${k}`)
      join.push(`r.v${k} = t.v${k}`, `r.z${k} = t.z${k}`)
    }
    const img = image.join(', ')
    const r = `r AS (SELECT ${[...carried, img].join(', ')}, row_number() OVER (PARTITION BY ${img}) AS rn
         FROM (SELECT ${[...carried.map((n) => `u.${n}`), ...ofRun].join(', ')}
                 FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})) u)`
    const t = `t AS (SELECT rel, tid, ${img}, row_number() OVER (PARTITION BY ${img}) AS rn
         FROM (SELECT tableoid AS rel, ctid AS tid, ${ofTable.join(', ')} FROM ${plan.only}) x
        WHERE (${img}) IN (SELECT ${img} FROM r))`
    const m = `m AS (SELECT ${['t.rel', 't.tid', ...carried.map((n) => `r.${n}`)].join(', ')}
         FROM r JOIN t ON ${[...join, 'r.rn = t.rn'].join(' AND ')})`
    return sets.length === 0
      ? `WITH ${r}, ${t}, ${m} DELETE FROM ${plan.only} AS d USING m WHERE d.tableoid = m.rel AND d.ctid = m.tid`
      : `WITH ${r}, ${t}, ${m} UPDATE ${plan.only} AS d SET ${set.join(', ')} FROM m WHERE d.tableoid = m.rel AND d.ctid = m.tid`
  })
}
