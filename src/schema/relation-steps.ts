/**
 * Tables (regular, partitioned, partitions, inheritance children) and sequences: the pre-data steps
 * a COPY needs. Columns carry types with typmods, collations, defaults, NOT NULL, identity and
 * generated expressions; local CHECK constraints are declared inline, as pg_dump does.
 */
import type { ColumnInfo } from '../catalog/columns.js'
import type { SelectedRelation } from '../catalog/selection.js'
import type { SequenceInfo } from '../catalog/sequences.js'
import type { RelationInfo } from '../catalog/tables.js'
import { quoteIdent, quoteLiteral, quoteQualified } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'
import { relationKey, schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** `key=value` reloptions as a `WITH (…)` list, values quoted. */
export function withOptions(options: readonly string[], prefix = ''): string[] {
  return options.map((o) => {
    const i = o.indexOf('=')
    return i < 0 ? prefix + o : `${prefix}${o.slice(0, i)}=${quoteLiteral(o.slice(i + 1))}`
  })
}

/** The target qualified name of a selected relation. */
export const targetName = (r: SelectedRelation): string => quoteQualified(r.targetSchema, r.name)

function identityClause(
  col: ColumnInfo,
  seq: SequenceInfo | undefined,
  seqName: string | undefined,
): string {
  const how = col.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'
  if (seq === undefined) return ` GENERATED ${how} AS IDENTITY`
  const opts = [
    ...(seqName === undefined ? [] : [`SEQUENCE NAME ${seqName}`]),
    `START WITH ${seq.start}`,
    `INCREMENT BY ${seq.increment}`,
    `MINVALUE ${seq.min}`,
    `MAXVALUE ${seq.max}`,
    `CACHE ${seq.cache}`,
    seq.cycle ? 'CYCLE' : 'NO CYCLE',
  ]
  return ` GENERATED ${how} AS IDENTITY (${opts.join(' ')})`
}

/** Lookups shared by the table steps of one database. */
interface TableContext {
  readonly selected: ReadonlyMap<number, SelectedRelation>
  readonly targetSchemas: ReadonlyMap<string, string>
  /** `relOid:column` → the identity column's sequence (and its selected relation). */
  readonly identitySeqs: ReadonlyMap<
    string,
    { seq: SequenceInfo; rel: SelectedRelation | undefined }
  >
  /** Valid local CHECKs, declared inline. */
  readonly checksByTable: ReadonlyMap<number, readonly string[]>
}

/** A table's parents as the column list sees them. */
interface Parentage {
  /** The partitioned parent, when selected. */
  readonly parent: SelectedRelation | undefined
  /** Inheritance parents (undefined: outside the selection). */
  readonly parents: readonly (SelectedRelation | undefined)[]
  readonly inheritsAll: boolean
}

/** Add the steps of every selected table and sequence. */
export function addRelationSteps(plan: StepPlan, cat: SourceCatalog): void {
  const selected = new Map(cat.selection.relations.map((r) => [r.oid, r]))
  const targetSchemas = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  const identitySeqs = new Map<string, { seq: SequenceInfo; rel: SelectedRelation | undefined }>()
  for (const s of cat.sequences) {
    if (s.identity && s.ownedBy !== null)
      identitySeqs.set(`${s.ownedBy.relation}:${s.ownedBy.column}`, {
        seq: s,
        rel: selected.get(s.oid),
      })
  }
  const checksByTable = new Map<number, string[]>()
  for (const k of cat.constraints) {
    if (k.type !== 'c' || !k.local || !k.validated) continue
    const list = checksByTable.get(k.table) ?? []
    list.push(`CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`)
    checksByTable.set(k.table, list)
  }
  const tc: TableContext = { selected, targetSchemas, identitySeqs, checksByTable }
  for (const rel of cat.selection.relations) addTableStep(plan, cat, tc, rel)
  addSequenceSteps(plan, cat, selected)
}

/** One table's CREATE TABLE and what follows it in its step. */
function addTableStep(
  plan: StepPlan,
  cat: SourceCatalog,
  tc: TableContext,
  rel: SelectedRelation,
): void {
  const info = cat.relations.get(rel.oid)
  if (info === undefined) return
  const q = targetName(rel)
  const key = relationKey(rel.targetSchema, rel.name)
  if (rel.kind !== 'r' && rel.kind !== 'p') return
  if (info.typed) {
    plan.unsupportedObject(
      `${rel.schema}.${rel.name}`,
      'typed tables (CREATE TABLE … OF type) are not migrated yet',
    )
    return
  }
  const cols = cat.columns.get(rel.oid) ?? []
  const deps = [schemaKey(rel.targetSchema)]
  const parent = rel.parentOid === undefined ? undefined : tc.selected.get(rel.parentOid)
  const parents = info.inherits.map((o) => tc.selected.get(o))
  const inheritsAll = parents.every((p) => p !== undefined)
  if (!inheritsAll)
    plan.unsupportedObject(
      `${rel.schema}.${rel.name}`,
      'inherits from a table outside the selection: created without INHERITS',
    )
  const family: Parentage = { parent, parents, inheritsAll }
  const { elements, after } = columnElements(plan, cat, tc, rel, info, family)
  elements.push(...(tc.checksByTable.get(rel.oid) ?? []))
  const sql = [createTableSql(plan, rel, info, family, elements, deps), ...after]
  if (info.replicaIdentity === 'f' || info.replicaIdentity === 'n')
    sql.push(
      `ALTER TABLE ONLY ${q} REPLICA IDENTITY ${info.replicaIdentity === 'f' ? 'FULL' : 'NOTHING'}`,
    )
  sql.push(...plan.owner('TABLE', q, info.owner))
  sql.push(...plan.comment('TABLE', q, 'pg_class', rel.oid))
  for (const c of cols)
    sql.push(...plan.comment('COLUMN', `${q}.${quoteIdent(c.name)}`, 'pg_class', rel.oid, c.num))
  sql.push(...plan.grants('TABLE', q, info.owner, cat.acls.relations.get(rel.oid)))
  for (const a of cat.acls.columns.get(rel.oid) ?? [])
    sql.push(...plan.grants('TABLE', q, info.owner, a))
  // identity sequences are created by their column: their comment and grants go with the table
  for (const c of cols) {
    const id = tc.identitySeqs.get(`${rel.oid}:${c.name}`)
    if (id?.rel === undefined) continue
    const sq = targetName(id.rel)
    sql.push(...plan.comment('SEQUENCE', sq, 'pg_class', id.rel.oid))
    sql.push(...plan.grants('SEQUENCE', sq, info.owner, cat.acls.relations.get(id.rel.oid)))
  }
  const step = plan.add(key, 'table', q, 'pre-data', sql, { dependsOn: deps })
  step.relations.add(rel.oid)
  plan.ref('pg_class', rel.oid, key)
}

/**
 * The column definitions listed in CREATE TABLE, and the ALTERs that follow it: inherited
 * columns come from the parent, so only what differs from it (default, NOT NULL) is altered.
 */
function columnElements(
  plan: StepPlan,
  cat: SourceCatalog,
  tc: TableContext,
  rel: SelectedRelation,
  info: RelationInfo,
  { parent, parents, inheritsAll }: Parentage,
): { elements: string[]; after: string[] } {
  const q = targetName(rel)
  const key = relationKey(rel.targetSchema, rel.name)
  const parentCols = new Map<string, ColumnInfo>()
  for (const p of parent !== undefined ? [parent] : inheritsAll ? parents : []) {
    for (const c of cat.columns.get(p?.oid ?? 0) ?? [])
      if (!parentCols.has(c.name)) parentCols.set(c.name, c)
  }
  const elements: string[] = []
  const after: string[] = []
  for (const c of cat.columns.get(rel.oid) ?? []) {
    const listed = parent === undefined && (c.local || !inheritsAll || info.inherits.length === 0)
    const col = quoteIdent(c.name)
    if (listed) {
      let d = `${col} ${c.type}`
      if (c.collation !== null)
        d += ` COLLATE ${quoteQualified(tc.targetSchemas.get(c.collation.schema) ?? c.collation.schema, c.collation.name)}`
      if (c.generated !== null)
        d += ` GENERATED ALWAYS AS (${c.generated.expr}) ${c.generated.kind === 's' ? 'STORED' : 'VIRTUAL'}`
      else if (c.identity !== null) {
        const id = tc.identitySeqs.get(`${rel.oid}:${c.name}`)
        const seqName = id?.rel === undefined ? undefined : targetName(id.rel)
        d += identityClause(c, id?.seq, seqName)
        if (id?.rel !== undefined) plan.ref('pg_class', id.rel.oid, key)
      } else if (c.default !== null) d += ` DEFAULT ${c.default}`
      if (c.notNull) d += ' NOT NULL'
      elements.push(d)
    } else {
      const p = parentCols.get(c.name)
      if (c.default !== null && c.default !== p?.default && c.generated === null)
        after.push(`ALTER TABLE ONLY ${q} ALTER COLUMN ${col} SET DEFAULT ${c.default}`)
      if (c.notNull && p?.notNull !== true && c.identity === null)
        after.push(`ALTER TABLE ONLY ${q} ALTER COLUMN ${col} SET NOT NULL`)
    }
    if (c.storage !== null)
      after.push(`ALTER TABLE ONLY ${q} ALTER COLUMN ${col} SET STORAGE ${storageName(c.storage)}`)
    if (c.statistics !== null && c.statistics >= 0)
      after.push(`ALTER TABLE ONLY ${q} ALTER COLUMN ${col} SET STATISTICS ${c.statistics}`)
    if (c.compression !== null)
      after.push(
        `ALTER TABLE ONLY ${q} ALTER COLUMN ${col} SET COMPRESSION ${c.compression === 'l' ? 'lz4' : 'pglz'}`,
      )
  }
  return { elements, after }
}

/** `CREATE TABLE` (plain, partition or child); adds the parents' steps to `deps`. */
function createTableSql(
  plan: StepPlan,
  rel: SelectedRelation,
  info: RelationInfo,
  { parent, parents, inheritsAll }: Parentage,
  elements: readonly string[],
  deps: string[],
): string {
  const q = targetName(rel)
  const unlogged = rel.persistence === 'u' ? 'UNLOGGED ' : ''
  const opts = [...withOptions(info.options), ...withOptions(info.toastOptions, 'toast.')]
  let ddl: string
  if (parent !== undefined) {
    ddl = `CREATE ${unlogged}TABLE ${q} PARTITION OF ${targetName(parent)}`
    if (elements.length > 0) ddl += ` (\n  ${elements.join(',\n  ')}\n)`
    ddl += ` ${info.partitionBound ?? 'DEFAULT'}`
    deps.push(relationKey(parent.targetSchema, parent.name))
  } else {
    if (rel.parentOid !== undefined)
      plan.unsupportedObject(
        `${rel.schema}.${rel.name}`,
        'a partition whose parent is outside the selection: created as a plain table',
      )
    ddl = `CREATE ${unlogged}TABLE ${q} (\n  ${elements.join(',\n  ')}\n)`
    if (inheritsAll && parents.length > 0) {
      ddl += ` INHERITS (${parents.map((p) => (p === undefined ? '' : targetName(p))).join(', ')})`
      for (const p of parents) if (p !== undefined) deps.push(relationKey(p.targetSchema, p.name))
    }
  }
  if (info.partitionKey !== null) ddl += ` PARTITION BY ${info.partitionKey}`
  if (info.accessMethod !== null) ddl += ` USING ${quoteIdent(info.accessMethod)}`
  if (opts.length > 0) ddl += ` WITH (${opts.join(', ')})`
  return ddl
}

/** `SET STORAGE` keyword for an `attstorage` letter. */
export function storageName(s: string): string {
  return { p: 'PLAIN', e: 'EXTERNAL', m: 'MAIN', x: 'EXTENDED' }[s] ?? 'EXTENDED'
}

function addSequenceSteps(
  plan: StepPlan,
  cat: SourceCatalog,
  selected: ReadonlyMap<number, SelectedRelation>,
): void {
  for (const s of cat.sequences) {
    const rel = selected.get(s.oid)
    if (rel === undefined || s.identity) continue
    const q = targetName(rel)
    const key = relationKey(rel.targetSchema, rel.name)
    const ddl =
      `CREATE ${rel.persistence === 'u' ? 'UNLOGGED ' : ''}SEQUENCE ${q} AS ${s.type} INCREMENT BY ${s.increment}` +
      ` MINVALUE ${s.min} MAXVALUE ${s.max} START WITH ${s.start} CACHE ${s.cache}${s.cycle ? ' CYCLE' : ' NO CYCLE'}`
    plan.add(
      key,
      'sequence',
      q,
      'pre-data',
      [
        ddl,
        ...plan.owner('SEQUENCE', q, s.owner),
        ...plan.comment('SEQUENCE', q, 'pg_class', s.oid),
        ...plan.grants('SEQUENCE', q, s.owner, cat.acls.relations.get(s.oid)),
      ],
      { dependsOn: [schemaKey(rel.targetSchema)] },
    )
    plan.ref('pg_class', s.oid, key)
    const table = s.ownedBy === null ? undefined : selected.get(s.ownedBy.relation)
    if (s.ownedBy !== null && table !== undefined) {
      const tq = targetName(table)
      plan.add(
        `sequence-owned-by:${q}`,
        'sequence-owned-by',
        q,
        'pre-data',
        [`ALTER SEQUENCE ${q} OWNED BY ${tq}.${quoteIdent(s.ownedBy.column)}`],
        { dependsOn: [key, relationKey(table.targetSchema, table.name)] },
      )
    }
  }
}
