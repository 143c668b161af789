/**
 * The SQL text of keys and indexes on the target: a key constraint built as an index then attached
 * (or added whole where that does not work), and a source index definition pointed at the target
 * table.
 */
import type { IndexInfo } from '../catalog/indexes.js'
import type { SelectedRelation } from '../catalog/selection.js'
import { quoteIdent } from '../pg/quote.js'

/**
 * A primary key or unique constraint as the README says: `CREATE UNIQUE INDEX` (from the
 * source's `pg_get_indexdef`, so parallel index build and the same storage parameters), then
 * `ADD CONSTRAINT … USING INDEX`, which only attaches it (a moment's ACCESS EXCLUSIVE lock instead
 * of one held for the whole build, so other indexes of the table build meanwhile), as pgcopydb
 * does. Where `USING INDEX` is not allowed
 * (exclusion constraints, partitioned tables, non-btree keys such as v18's `WITHOUT OVERLAPS`,
 * an index named differently from its constraint, which `USING INDEX` would rename, or an index
 * tablespace) the constraint is added whole, building its own index.
 */
export function keyConstraintSql(
  rel: SelectedRelation,
  q: string,
  constraint: string,
  type: 'p' | 'u' | 'x',
  definition: string,
  index: IndexInfo | undefined,
): { readonly index?: string; readonly constraint: string } {
  const name = quoteIdent(constraint)
  const whole = { constraint: `ALTER TABLE ONLY ${q} ADD CONSTRAINT ${name} ${definition}` }
  if (
    type === 'x' ||
    rel.kind !== 'r' ||
    index === undefined ||
    !index.plainBtree ||
    index.name !== constraint ||
    definition.includes(' USING INDEX TABLESPACE ') ||
    !index.definition.startsWith('CREATE UNIQUE INDEX ')
  )
    return whole
  const deferrable = /\s(DEFERRABLE(?: INITIALLY (?:DEFERRED|IMMEDIATE))?)$/.exec(definition)?.[1]
  const kind = type === 'p' ? 'PRIMARY KEY' : 'UNIQUE'
  return {
    index: retarget(index.definition, index.tableSpelling, q),
    constraint: `ALTER TABLE ONLY ${q} ADD CONSTRAINT ${name} ${kind} USING INDEX ${name}${deferrable === undefined ? '' : ` ${deferrable}`}`,
  }
}

/** Swap the source table name in a `pg_get_indexdef` head for the target's. */
export function retarget(def: string, sourceTable: string, targetTable: string): string {
  for (const only of ['ONLY ', '']) {
    const from = ` ON ${only}${sourceTable} USING `
    const at = def.indexOf(from)
    if (at >= 0)
      return `${def.slice(0, at)} ON ${only}${targetTable} USING ${def.slice(at + from.length)}`
  }
  return def
}
