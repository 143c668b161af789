/**
 * A CANDIDATE, not what the apply sends (issue 11; benchmarks/results/full-match-2026-12-02.txt):
 * measured alone it cost the target less CPU than full-run-sql.ts's hashed statement, but in
 * bench:incremental it did not (1M-row FULL UPDATE, target CPU-s after COMMIT 13.41/11.78 hashed vs
 * 14.62/14.53 probing, loaded machine), so src/apply keeps the hashed statement. With the apply's
 * planner settings for it: enable_nestloop, enable_bitmapscan and enable_seqscan off.
 *
 * The statement of a REPLICA IDENTITY FULL run (DELETEs or UPDATEs, each naming its row by its
 * whole old image) on a table where a matched column leads a btree index: each image finds its row
 * by one probe of that index, as PostgreSQL's own apply worker does (issue 11).
 *
 * Rows are matched by the rule of full-run-sql.ts (typed columns by their type's `=`, the others as
 * the target type's text, NULL only with NULL); the probe is `lead = value` through the index, the
 * rest of the image a filter on the rows it finds. What equal means for a row: PostgreSQL's apply
 * worker compares by each type's default equality (and refuses a type without one); pgferry keeps
 * the text rule where `=` is looser than the text (float -0 and 0, numeric 1.0 and 1.00, timestamptz
 * printed with another offset) or missing (json, point, xml), so a change touches a row printed as
 * the source printed the row it changed, never another row that is only `=` to it, and types
 * without an equality operator still replicate. Where `=` agrees with the text it is used as is. A probe takes the n-th row that matches its image,
 * where n counts the run's earlier changes with that image (`rn`, numbered over the run's images as
 * full-run-sql.ts numbers them): every probe of one image reads the same index range in the same
 * statement snapshot, so the same rows in the same order, and n changes with one image take n
 * different rows. Equal images have equal lead values (text-equal implies equal for a type with a
 * btree opclass, full-run-sql.ts), so the probe never misses a row the text rule matches.
 *
 * What it saves over full-run-sql.ts's hashed form (benchmarks/full-match-profile.ts, 1M-row table, runs of 10,000):
 * the table's candidate rows are no longer numbered by a window function over a sort of their whole
 * image, nor the run's images hashed twice against them; each probe stops at its row (LIMIT).
 *
 * A run with a NULL in the lead column goes by full-run-sql.ts (`col = NULL` finds nothing through
 * the index). The rows found are reached by TID as in full-run-sql.ts; a DELETE from one relation
 * (not a partitioned table, whose partitions share TIDs) by its TIDs alone, with no join.
 *
 * Parameters: for an UPDATE one text array per SET column, then one per matched old column.
 */
import type { PlannedStatement, RelationPlan } from '../../src/apply/relation-plan.js'

/**
 * Build (once per plan and shape) the probing statement of a FULL run; it returns the rows changed.
 * `lead`: the place in `match` of the indexed column, with no NULL in the run.
 */
export function fullProbeSql(
  plan: RelationPlan,
  shape: string,
  sets: readonly number[],
  match: readonly number[],
  lead: number,
  typed: readonly boolean[],
): PlannedStatement {
  let key = `${shape}:P${lead}:T`
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
      carried.push(`u.s${k}`)
      set.push(`${plan.columns[i] ?? ''} = m.s${k}::${plan.types[i] ?? ''}`)
    }
    const image: string[] = []
    const ofRun: string[] = []
    const filter: string[] = []
    for (let k = 0; k < match.length; k++) {
      const i = match[k] as number
      const col = `x.${plan.columns[i] ?? ''}`
      const type = plan.types[i] ?? 'text'
      arrays.push(`$${arrays.length + 1}::text[]`)
      names.push(`o${k}`)
      if (typed[k] === true) {
        image.push(`v${k}`)
        ofRun.push(`u.o${k}::${type} AS v${k}`)
        filter.push(`${col} = r.v${k}`)
        continue
      }
      if (k === lead) {
        // the probe by the type's `=`, which finds every row of equal text and maybe more
        ofRun.push(`u.o${k}::${type} AS l`)
        filter.push(`${col} = r.l`)
      }
      image.push(`v${k}`, `z${k}`)
      ofRun.push(`coalesce((u.o${k}::${type})::text, '') AS v${k}, u.o${k} IS NULL AS z${k}`)
      // as text: a composite value whose fields are all NULL IS NULL, yet is not NULL
      filter.push(`coalesce(${col}::text, '') = r.v${k}`, `(${col}::text IS NULL) = r.z${k}`)
    }
    const img = image.join(', ')
    const r = `r AS (SELECT *, row_number() OVER (PARTITION BY ${img}) - 1 AS rn
         FROM (SELECT ${[...carried, ...ofRun].join(', ')}
                 FROM unnest(${arrays.join(', ')}) AS u(${names.join(', ')})) u)`
    const probe = `SELECT x.tableoid AS rel, x.ctid AS tid FROM ${plan.only} x
                    WHERE ${filter.join(' AND ')} OFFSET r.rn LIMIT 1`
    const m = `m AS (SELECT ${['p.rel', 'p.tid', ...carried.map((n) => `r.${n.slice(2)}`)].join(', ')}
         FROM r CROSS JOIN LATERAL (${probe}) p)`
    const rows = `d.tableoid = m.rel AND d.ctid = m.tid AND d.ctid = ANY(ARRAY(SELECT tid FROM m))`
    if (sets.length > 0)
      return `WITH ${r}, ${m} UPDATE ${plan.only} AS d SET ${set.join(', ')} FROM m WHERE ${rows}`
    // a DELETE of one relation (ONLY, not partitioned) needs no join: a TID names one row of it
    return plan.only === plan.target
      ? `WITH ${r}, ${m} DELETE FROM ${plan.only} AS d USING m WHERE ${rows}`
      : `WITH ${r}, ${m} DELETE FROM ${plan.only} AS d WHERE d.ctid = ANY(ARRAY(SELECT tid FROM m))`
  })
}
