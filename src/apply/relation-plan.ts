/**
 * How the changes of one source relation are written to its target table: the target name (the
 * selection may rename the schema), each published column's target type for the casts, the
 * replica identity key, and the statement texts by shape (built once, then run as named prepared
 * statements). Values are always bound as text parameters and cast with the target's own type
 * name (`format_type` read on the apply connection), so they travel as the server's text output and
 * are parsed by the target's input functions: never through a JavaScript number or Date.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import type { RelationMessage } from '../wal/pgoutput-messages.js'
import { versionNum } from '../catalog/server-version.js'

/** First OID of user-created objects: built-in type OIDs below it are equal on every server. */
const FIRST_NORMAL_OID = 16384

/** A column of the target table as the target catalog describes it. */
export interface TargetColumn {
  readonly name: string
  /** `format_type(atttypid, atttypmod)`, usable as a cast. */
  readonly type: string
  readonly typeOid: number
  readonly typeMod: number
  /** Generated (stored) columns are computed by the target and never published. */
  readonly generated: boolean
}

/** Read the columns of `schema.name` on the target; undefined when the table does not exist. */
export async function readTargetColumns(
  client: pg.Client,
  schema: string,
  name: string,
): Promise<TargetColumn[] | undefined> {
  const v = await versionNum(client)
  // attgenerated exists from v12
  const generated = v >= 120000 ? `a.attgenerated <> ''` : 'false'
  const r = await client.query<{
    name: string
    type: string
    type_oid: number
    type_mod: number
    generated: boolean
  }>(
    // the table's row with no column when it has none (a zero-column table exists all the same)
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
            a.atttypid::int8::float8 AS type_oid, a.atttypmod AS type_mod, ${generated} AS generated
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2
      ORDER BY a.attnum`,
    [schema, name],
  )
  if (r.rows.length === 0) return undefined
  return r.rows
    .filter((x) => x.name !== null)
    .map((x) => ({
      name: x.name,
      type: x.type,
      typeOid: x.type_oid,
      typeMod: x.type_mod,
      generated: x.generated,
    }))
}

/** A prepared statement: pg prepares it once per connection by name. */
export interface PlannedStatement {
  readonly name: string
  readonly text: string
}

let statementCounter = 0

/** The write plan of one source relation. */
export class RelationPlan {
  readonly relation: RelationMessage
  readonly targetSchema: string
  /** `"schema"."name"` on the target. */
  readonly target: string
  /** Human-readable `schema.name` of the source table, for messages. */
  readonly label: string
  /** Target type of each published column, by column index. */
  readonly types: readonly string[]
  /** Quoted column names, by column index. */
  readonly columns: readonly string[]
  /** Indexes of the replica identity columns (all columns for REPLICA IDENTITY FULL). */
  readonly keys: readonly number[]
  /** Skip changes of transactions that committed before this LSN (tablesync rule); 0n: none. */
  readonly syncLsn: bigint
  readonly #statements = new Map<string, PlannedStatement>()
  readonly #keySet: boolean[] = []

  constructor(
    relation: RelationMessage,
    targetSchema: string,
    target: readonly TargetColumn[],
    syncLsn: bigint,
  ) {
    this.relation = relation
    this.targetSchema = targetSchema
    this.target = quoteQualified(targetSchema, relation.name)
    this.label = `${relation.schema}.${relation.name}`
    this.syncLsn = syncLsn
    const byName = new Map(target.map((c) => [c.name, c]))
    const types: string[] = []
    const columns: string[] = []
    const keys: number[] = []
    const problems: string[] = []
    const published = new Set<string>()
    for (let i = 0; i < relation.columns.length; i++) {
      const col = relation.columns[i] as RelationMessage['columns'][number]
      published.add(col.name)
      const t = byName.get(col.name)
      if (t === undefined || t.generated) {
        problems.push(`column ${col.name} is not on the target`)
      } else if (
        col.typeOid < FIRST_NORMAL_OID &&
        t.typeOid < FIRST_NORMAL_OID &&
        (col.typeOid !== t.typeOid || (col.typeMod !== t.typeMod && col.typeMod !== -1))
      ) {
        problems.push(`column ${col.name} has another type on the source (oid ${col.typeOid})`)
      }
      types.push(t?.type ?? 'text')
      columns.push(quoteIdent(col.name))
      if (col.isKey) keys.push(i)
      this.#keySet.push(col.isKey)
    }
    for (const t of target) {
      if (!t.generated && !published.has(t.name))
        problems.push(`target column ${t.name} is no longer on the source`)
    }
    if (problems.length > 0) throw ddlDetected(this.label, problems.join('; '))
    this.types = types
    this.columns = columns
    this.keys = keys
  }

  /** True when a later Relation message describes the same columns (pgoutput resends them). */
  sameShape(next: RelationMessage): boolean {
    const a = this.relation
    if (a.schema !== next.schema || a.name !== next.name) return false
    if (a.replicaIdentity !== next.replicaIdentity) return false
    if (a.columns.length !== next.columns.length) return false
    for (let i = 0; i < a.columns.length; i++) {
      const x = a.columns[i]
      const y = next.columns[i]
      if (x === undefined || y === undefined) return false
      if (x.name !== y.name || x.typeOid !== y.typeOid || x.typeMod !== y.typeMod) return false
      if (x.isKey !== y.isKey) return false
    }
    return true
  }

  /** Whether column `i` is part of the replica identity key. */
  isKey(i: number): boolean {
    return this.#keySet[i] === true
  }

  /** The statement of a shape, built by `build` the first time. */
  statement(shape: string, build: () => string): PlannedStatement {
    let s = this.#statements.get(shape)
    if (s === undefined) {
      s = { name: `pgferry_a${++statementCounter}`, text: build() }
      this.#statements.set(shape, s)
    }
    return s
  }

  /** `"col" = $n::type AND …` over the key columns, parameters from `first`. */
  keyMatch(first: number): string {
    const parts: string[] = []
    for (let k = 0; k < this.keys.length; k++) {
      const i = this.keys[k] as number
      parts.push(`${this.columns[i] ?? ''} = $${first + k}::${this.types[i] ?? 'text'}`)
    }
    return parts.join(' AND ')
  }
}

/** The error for a relation whose columns no longer match the target table. */
export function ddlDetected(table: string, detail: string): PgferryError {
  return new PgferryError(
    'PGFERRY_DDL_DETECTED',
    `DDL detected on source table ${table}: ${detail}; changes are no longer replicated`,
    {
      fix: 'apply the same DDL to the target table, then start the incremental stage again (DDL is not replicated while a task runs)',
    },
  )
}
