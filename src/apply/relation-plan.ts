/**
 * How the changes of one source relation are written to its target table: the target name (the
 * selection may rename the schema), each published column's target type for the casts, the
 * replica identity key, and the statement texts by shape (built once, then run as named prepared
 * statements). Values are always bound as text parameters and cast with the target's own type
 * name (`format_type` read on the apply connection), so they travel as the server's text output and
 * are parsed by the target's input functions: never through a JavaScript number or Date.
 */
import { PgferryError } from '../errors.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import type { RelationMessage } from '../wal/pgoutput-messages.js'
import type { TargetColumn, TargetTable } from './target-table.js'
import type { SourceColumns } from '../catalog/column-names.js'
import { replaysExactly } from './replay-retype.js'
import { replayedColumns } from './replayed-columns.js'

/** First OID of user-created objects: built-in type OIDs below it are equal on every server. */
const FIRST_NORMAL_OID = 16384

/** A prepared statement: pg prepares it once per connection by name. */
export interface PlannedStatement {
  readonly name: string
  readonly text: string
}

/**
 * How a REPLICA IDENTITY FULL change goes into a run (full-change.ts): `shape` names its statement
 * (`F<s|u per column>:<v|u per column>` for an UPDATE, `FD:<v|u …>` for a DELETE), `sets` the new
 * columns it sets, `match` the old columns its row is found by.
 */
export interface FullShape {
  readonly shape: string
  readonly sets: readonly number[]
  readonly match: readonly number[]
}

let statementCounter = 0

/** The write plan of one source relation. */
export class RelationPlan {
  readonly relation: RelationMessage
  readonly targetSchema: string
  /** `"schema"."name"` on the target. */
  readonly target: string
  /**
   * The target as the one relation a statement touches (ARCHITECTURE.md): `ONLY "schema"."name"`,
   * so an inheritance parent's UPDATE, DELETE or TRUNCATE leaves its children (tables of their own,
   * with their own changes) alone; the bare name for a partitioned table, whose rows are all in its
   * partitions (and TRUNCATE refuses ONLY on it).
   */
  readonly only: string
  /** INSERT runs may go by COPY: the target table has no rule, which COPY would not apply. */
  readonly copyable: boolean
  /** Human-readable `schema.name` of the source table, for messages. */
  readonly label: string
  /** Target type of each published column, by column index. */
  readonly types: readonly string[]
  /** Quoted column names, by column index. */
  readonly columns: readonly string[]
  /** Indexes of the replica identity columns (all columns for REPLICA IDENTITY FULL). */
  readonly keys: readonly number[]
  /** Indexes of the columns written: all, but one dropped since on both sides (constructor). */
  readonly written: readonly number[]
  /** Quoted names of the target's GENERATED ALWAYS identity columns among the written ones. */
  readonly alwaysIdentity: readonly string[]
  /**
   * The table whose identity definition an ALTER changes: the statements' own (`only`), or for a
   * partition its root, without ONLY (from v17 the partitions share the root's identity).
   */
  readonly identityOwner: string
  /** Skip changes of transactions that committed before this LSN (tablesync rule); 0n: none. */
  readonly syncLsn: bigint
  readonly #statements = new Map<string, PlannedStatement>()
  readonly #fullShapes = new Map<number | string, FullShape>()
  readonly #keySet: boolean[] = []
  /** By column index: in an immediate unique or exclusion index of the target (TargetColumn). */
  readonly #unique: boolean[] = []
  /** By column index: leads a btree index of the target (TargetColumn). */
  readonly #indexed: boolean[] = []
  /** By column index: typed equality agrees with text equality (TargetColumn.textEqual). */
  readonly #textEqual: boolean[] = []
  readonly #written: boolean[] = []
  readonly #always: boolean[] = []

  /**
   * `sourceNow`: the source table's columns as its catalog holds them now, read when the message
   * and the target disagree on the columns (`columnsDiffer`). A Relation message describes
   * the table as it was when the change was written: replayed after a DDL that the user has also
   * applied to the target (the fix `ddlDetected` names), its columns are written under their names
   * now (replayed-columns.ts): one renamed since under its new name, one dropped since not at all
   * (its values are gone on the source too), one retyped since as its old type's text when that
   * lands exactly where the source's cast put it (replay-retype.ts), and a column added since is
   * left to the target's default, as the rows before the ALTER got it on the source.
   */
  constructor(
    relation: RelationMessage,
    targetSchema: string,
    table: TargetTable,
    syncLsn: bigint,
    sourceNow?: SourceColumns,
  ) {
    const target = table.columns
    this.relation = relation
    this.targetSchema = targetSchema
    this.target = quoteQualified(targetSchema, relation.name)
    this.only = table.partitioned ? this.target : `ONLY ${this.target}`
    this.copyable = !table.rules
    this.identityOwner =
      table.root === undefined ? this.only : quoteQualified(table.root.schema, table.root.name)
    this.label = `${relation.schema}.${relation.name}`
    this.syncLsn = syncLsn
    const byName = new Map(target.map((c) => [c.name, c]))
    const types: string[] = []
    const columns: string[] = []
    const keys: number[] = []
    const written: number[] = []
    const always: string[] = []
    const problems: string[] = []
    /** A problem the DDL on the target cannot solve: this message cannot be replayed. */
    let unreplayable = false
    const published = new Set<string>()
    let now: readonly (string | null)[] = relation.columns.map((c) => c.name)
    if (sourceNow !== undefined) {
      const replayed = replayedColumns(now as string[], sourceNow.slots)
      if (replayed.ok) now = replayed.now
      else {
        problems.push(replayed.reason)
        unreplayable = true
      }
    }
    for (let i = 0; i < relation.columns.length; i++) {
      const col = relation.columns[i] as RelationMessage['columns'][number]
      const name = now[i] ?? null
      const t = name === null ? undefined : byName.get(name)
      if (name !== null) published.add(name)
      const verdict = columnVerdict(col, name, t, sourceNow)
      if (verdict.write) written.push(i)
      if (verdict.problem !== undefined) problems.push(verdict.problem)
      if (verdict.unreplayable) unreplayable = true
      types.push(t?.type ?? 'text')
      columns.push(quoteIdent(name ?? col.name))
      if (col.isKey) keys.push(i)
      this.#keySet.push(col.isKey)
      this.#unique.push(t?.unique === true)
      this.#indexed.push(t?.indexed === true)
      this.#textEqual.push(t?.textEqual === true)
      this.#written.push(t !== undefined && !t.generated)
      this.#always.push(t?.identity === 'a')
      if (t?.identity === 'a') always.push(quoteIdent(t.name))
    }
    const liveNow = new Set<string>()
    for (const slot of sourceNow?.slots ?? []) if (slot !== null) liveNow.add(slot)
    for (const t of target) {
      if (!t.generated && !published.has(t.name) && !liveNow.has(t.name))
        problems.push(`target column ${t.name} is no longer on the source`)
    }
    if (problems.length > 0) {
      throw ddlDetected(
        this.label,
        problems.join('; '),
        unreplayable ? UNREPLAYABLE_FIX : undefined,
      )
    }
    this.types = types
    this.columns = columns
    this.keys = keys
    this.written = written
    this.alwaysIdentity = always
  }

  /**
   * The message's columns and the target's (generated ones aside) differ in names or built-in
   * types: the source's current columns decide which of the differences a DDL since explains
   * (constructor).
   */
  static columnsDiffer(relation: RelationMessage, table: TargetTable): boolean {
    const byName = new Map<string, TargetTable['columns'][number]>()
    for (const c of table.columns) if (!c.generated) byName.set(c.name, c)
    if (byName.size !== relation.columns.length) return true
    for (const c of relation.columns) {
      const t = byName.get(c.name)
      if (t === undefined || otherType(c, t)) return true
    }
    return false
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

  /** Whether column `i` is written (not dropped since on both sides). */
  isWritten(i: number): boolean {
    return this.#written[i] === true
  }

  /** Whether column `i` leads a btree index of the target table (full-run-sql.ts). */
  isIndexed(i: number): boolean {
    return this.#indexed[i] === true
  }

  /** Whether column `i` may be matched by its type's `=` in place of its text (full-run-sql.ts). */
  isTextEqual(i: number): boolean {
    return this.#textEqual[i] === true
  }

  /** Whether column `i` is part of the replica identity key. */
  isKey(i: number): boolean {
    return this.#keySet[i] === true
  }

  /**
   * Whether setting these columns can fail by the order the rows are updated in: one of them is in
   * a unique or exclusion index the target checks row by row (a value may change hands within a
   * run, and only the source's order frees it before it is taken).
   */
  orderMatters(sets: readonly number[]): boolean {
    for (const i of sets) if (this.#unique[i] === true) return true
    return false
  }

  /**
   * Whether these columns include a GENERATED ALWAYS identity column, which an UPDATE may set only
   * to DEFAULT: the writer relaxes it for its transaction (ChangeWriter).
   */
  setsAlwaysIdentity(sets: readonly number[]): boolean {
    for (const i of sets) if (this.#always[i] === true) return true
    return false
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

  /** The shape of a REPLICA IDENTITY FULL change (full-change.ts) by its key, built the first time. */
  fullShape(key: number | string, build: () => FullShape): FullShape {
    let s = this.#fullShapes.get(key)
    if (s === undefined) {
      s = build()
      this.#fullShapes.set(key, s)
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

/** Whether a published column is written, and the problem that stops its relation if any. */
interface ColumnVerdict {
  readonly write: boolean
  readonly problem?: string
  /** A problem the DDL on the target cannot solve: the message cannot be replayed. */
  readonly unreplayable: boolean
}

/**
 * One column of a Relation message against the target: `name` its name now (null: dropped since
 * on the source), `t` the target column of that name (RelationPlan's constructor).
 */
function columnVerdict(
  col: RelationMessage['columns'][number],
  name: string | null,
  t: TargetColumn | undefined,
  sourceNow: SourceColumns | undefined,
): ColumnVerdict {
  const skip = { write: false, unreplayable: false }
  // dropped since on the source: its values are not written, but a key cannot go
  if (name === null)
    return col.isKey ? { ...skip, problem: `key column ${col.name} was dropped` } : skip
  if (t === undefined) return { ...skip, problem: `column ${name} is not on the target` }
  // computed by the target, never written: a v18+ source publishes stored generated columns
  // (publish_generated_columns, snapshot.ts); a FULL identity's match leaves it out too
  if (t.generated) return skip
  if (!otherType(col, t)) return { write: true, unreplayable: false }
  const nowType = sourceNow?.types.get(name)
  const retyped =
    nowType !== undefined && nowType.typeOid === t.typeOid && nowType.typeMod === t.typeMod
  if (!retyped)
    return {
      ...skip,
      problem: `column ${name} has another type on the source (oid ${col.typeOid})`,
    }
  if (replaysExactly(col.typeOid, t.typeOid)) return { write: true, unreplayable: false }
  return {
    write: false,
    unreplayable: true,
    problem: `column ${name} was retyped (oid ${col.typeOid} to ${t.typeOid}) after this change was written, and its value cannot be converted as the source did`,
  }
}

/** A built-in type the target has otherwise (user types are left to the casts). */
function otherType(
  col: RelationMessage['columns'][number],
  t: { readonly typeOid: number; readonly typeMod: number },
): boolean {
  return (
    col.typeOid < FIRST_NORMAL_OID &&
    t.typeOid < FIRST_NORMAL_OID &&
    (col.typeOid !== t.typeOid || (col.typeMod !== t.typeMod && col.typeMod !== -1))
  )
}

/** The fix when the DDL is on both sides and a replayed change still cannot be written. */
const UNREPLAYABLE_FIX =
  'a source transaction changed this table between its writes in a way its earlier writes cannot be replayed through; migrate this database again (task.delete(), then a new task; pgferry delete <task id>, then pgferry run, at the command line)'

/** The error for a relation whose columns no longer match the target table. */
export function ddlDetected(table: string, detail: string, fix?: string): PgferryError {
  return new PgferryError(
    'PGFERRY_DDL_DETECTED',
    `DDL detected on source table ${table}: ${detail}; changes are no longer replicated`,
    {
      fix:
        fix ??
        'apply the same DDL to the target table, then start the incremental stage again (DDL is not replicated while a task runs)',
    },
  )
}
