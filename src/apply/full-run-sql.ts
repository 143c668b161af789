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
 * The rows found are reached again by the statement through a TID scan (`d.ctid = ANY(ARRAY(SELECT
 * tid FROM m))`), then joined with `m` by (tableoid, ctid): under `enable_nestloop = off` a join by
 * ctid alone scanned the table (or its index) a second time. Measured on 20,000-row DELETE runs in
 * a 1M-row table with an index: 239-251 ms per statement before, 174-188 ms after.
 *
 * A table with an index: the text match alone serves no index, so each run scanned the whole table.
 * When a matched column leads a btree index of the target (`lead`), the scan for the images' rows
 * is first narrowed to `col = ANY(<its old values>::type[])`, plus `OR col IS NULL` when the run has
 * a NULL there, which the index serves. The text match stays the rule; the prefilter only narrows
 * the candidates and
 * never drops a row the rule matches, because text-equal implies equal for every type with a btree
 * opclass: both sides are the same target type in the same session (the run's values are cast to
 * it before their text is compared, so typmod rounding and the session TimeZone/DateStyle apply to
 * both alike), and the type's output function never prints two unequal values alike: -0 and 0
 * print differently but are equal (kept), NaN equals NaN under btree (float and numeric), 1.0 and
 * 1.00 print differently but are equal (kept), a timestamptz prints its offset, a citext or
 * nondeterministic-collation text equal as text is equal under its collation. A NULL image value
 * matches only a NULL column (`col::text IS NULL`), which `col IS NULL` keeps. Arrays are left out
 * (target-table.ts): a text array does not cast to an array of arrays element by element.
 *
 * Typed match: a column whose type's `=` agrees with its text (TargetColumn.textEqual: int, text
 * in the default deterministic collation, uuid, …) and that has no NULL among the run's images is
 * matched by its own value instead (`typed`): equal as values exactly when equal as text, so the
 * rule is the same, but the table's side needs no text output and the join and the row numbering
 * compare native values. bench:incremental, 200k rows of (int, int, text, timestamptz), UPDATE on
 * a loaded machine: 0.41-0.50x native before, 0.61x after. A NULL in the run keeps the text pair
 * for that column (NULL = NULL is not true).
 *
 * Parameters: for an UPDATE one text array per SET column, then one per matched old column.
 */
import type { PlannedStatement, RelationPlan } from './relation-plan.js'

/** The indexed column that narrows a run: its place in `match`, and whether the run has a NULL in it. */
export interface FullRunLead {
  readonly k: number
  readonly nulls: boolean
}

/**
 * Build (once per plan and shape) a FULL-identity run's statement; it returns the rows changed.
 * `match` is not empty (a change with no old column to match by goes row by row).
 */
export function fullRunSql(
  plan: RelationPlan,
  shape: string,
  sets: readonly number[],
  match: readonly number[],
  lead: FullRunLead | undefined,
  typed: readonly boolean[],
): PlannedStatement {
  let key = lead === undefined ? shape : `${shape}:L${lead.k}${lead.nulls ? 'n' : ''}`
  key += ':T'
  for (const t of typed) key += t ? 't' : 'x'
  return plan.statement(key, () => {
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
      if (typed[k] === true) {
        image.push(`v${k}`)
        ofRun.push(`u.o${k}::${plan.types[i] ?? 'text'} AS v${k}`)
        ofTable.push(`${col} AS v${k}`)
        join.push(`r.v${k} = t.v${k}`)
        continue
      }
      image.push(`v${k}`, `z${k}`)
      ofRun.push(
        `coalesce((u.o${k}::${plan.types[i] ?? 'text'})::text, '') AS v${k}, u.o${k} IS NULL AS z${k}`,
      )
      // as text: a composite value whose fields are all NULL IS NULL, yet is not NULL
      ofTable.push(`coalesce(${col}::text, '') AS v${k}, ${col}::text IS NULL AS z${k}`)
      join.push(`r.v${k} = t.v${k}`, `r.z${k} = t.z${k}`)
    }
    // the prefilter on the table's rows (`x`)
    const narrow = (): string => {
      if (lead === undefined) return ''
      const i = match[lead.k] as number
      const col = `x.${plan.columns[i] ?? ''}`
      const values = `${col} = ANY(($${sets.length + lead.k + 1}::text[])::${plan.types[i] ?? 'text'}[])`
      return lead.nulls ? ` AND (${values} OR ${col} IS NULL)` : ` AND ${values}`
    }
    const img = image.join(', ')
    const r = `r AS (SELECT ${[...carried, img].join(', ')}, row_number() OVER (PARTITION BY ${img}) AS rn
         FROM (SELECT ${[...carried.map((n) => `u.${n}`), ...ofRun].join(', ')}
                 FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})) u)`
    const t = `t AS (SELECT rel, tid, ${img}, row_number() OVER (PARTITION BY ${img}) AS rn
         FROM (SELECT tableoid AS rel, ctid AS tid, ${ofTable.join(', ')} FROM ${plan.only} x WHERE true${narrow()}) x
        WHERE (${img}) IN (SELECT ${img} FROM r))`
    const m = `m AS (SELECT ${['t.rel', 't.tid', ...carried.map((n) => `r.${n}`)].join(', ')}
         FROM r JOIN t ON ${[...join, 'r.rn = t.rn'].join(' AND ')})`
    const rows = `d.tableoid = m.rel AND d.ctid = m.tid AND d.ctid = ANY(ARRAY(SELECT tid FROM m))`
    return sets.length === 0
      ? `WITH ${r}, ${t}, ${m} DELETE FROM ${plan.only} AS d USING m WHERE ${rows}`
      : `WITH ${r}, ${t}, ${m} UPDATE ${plan.only} AS d SET ${set.join(', ')} FROM m WHERE ${rows}`
  })
}
