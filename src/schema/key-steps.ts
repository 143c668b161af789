/**
 * Post-data steps that give tables their keys and indexes: PK / unique / exclusion constraints,
 * NOT VALID checks, indexes (partial, expression, INCLUDE, opclasses: `pg_get_indexdef`),
 * partitioned indexes attached partition by partition (as pg_dump does: `ON ONLY` the parent, each
 * partition's own, then `ATTACH PARTITION`), foreign keys, CLUSTER ON and REPLICA IDENTITY USING
 * INDEX. Each names the source relations whose data must be loaded first.
 */
import type { IndexInfo } from '../catalog/indexes.js'
import type { SelectedRelation } from '../catalog/selection.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import { targetName } from './relation-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { onTableKey, relationKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add constraint, index and foreign-key steps. */
export function addKeySteps(plan: StepPlan, cat: SourceCatalog): void {
  const selected = new Map(cat.selection.relations.map((r) => [r.oid, r]))
  const children = new Map<number, number[]>()
  for (const r of cat.selection.relations) {
    if (r.parentOid === undefined) continue
    children.set(r.parentOid, [...(children.get(r.parentOid) ?? []), r.oid])
  }
  const tree = (oid: number): number[] => [oid, ...(children.get(oid) ?? []).flatMap(tree)]
  const indexByOid = new Map(cat.indexes.map((i) => [i.oid, i]))
  const indexName = (oid: number): string | undefined => {
    const i = indexByOid.get(oid)
    const t = i === undefined ? undefined : selected.get(i.table)
    return i === undefined || t === undefined ? undefined : quoteQualified(t.targetSchema, i.name)
  }

  const foreignKeys: { key: string; index: number }[] = []
  for (const k of cat.constraints) {
    const rel = selected.get(k.table)
    if (rel === undefined) continue
    const q = targetName(rel)
    const name = quoteIdent(k.name)
    const comment = plan.comment(`CONSTRAINT ${name} ON`, q, 'pg_constraint', k.oid)
    if (k.type === 'p' || k.type === 'u' || k.type === 'x') {
      const key = onTableKey('constraint', q, k.name)
      const idx = k.index === null ? undefined : indexByOid.get(k.index)
      const built = keyConstraintSql(rel, q, k.name, k.type, k.definition, idx)
      const dependsOn = [relationKey(rel.targetSchema, rel.name)]
      if (built.index !== undefined && idx !== undefined) {
        // its own step (own transaction): a transaction holding the index build's SHARE lock and
        // then asking for ALTER TABLE's ACCESS EXCLUSIVE deadlocks with a second key of the table
        const indexKey = `index:${quoteQualified(rel.targetSchema, idx.name)}`
        plan.add(
          indexKey,
          'index',
          quoteQualified(rel.targetSchema, idx.name),
          'post-data',
          [built.index],
          {
            dependsOn,
            relations: [rel.oid],
          },
        )
        dependsOn.push(indexKey)
      }
      const sql = [built.constraint, ...comment]
      if (idx !== undefined)
        sql.push(
          ...plan.comment('INDEX', quoteQualified(rel.targetSchema, idx.name), 'pg_class', idx.oid),
        )
      if (idx?.clustered === true)
        sql.push(`ALTER TABLE ONLY ${q} CLUSTER ON ${quoteIdent(idx.name)}`)
      plan.add(key, 'constraint', `${q}.${name}`, 'post-data', sql, {
        dependsOn,
        relations: [rel.oid],
      })
      plan.ref('pg_constraint', k.oid, key)
      if (k.index !== null) plan.ref('pg_class', k.index, key)
    } else if (k.type === 'c' && k.local && !k.validated) {
      const key = onTableKey('constraint', q, k.name)
      plan.add(
        key,
        'constraint',
        `${q}.${name}`,
        'post-data',
        [`ALTER TABLE ONLY ${q} ADD CONSTRAINT ${name} ${k.definition}`, ...comment],
        {
          dependsOn: [relationKey(rel.targetSchema, rel.name)],
          relations: [rel.oid],
        },
      )
      plan.ref('pg_constraint', k.oid, key)
    } else if (k.type === 'c') {
      plan.ref('pg_constraint', k.oid, relationKey(rel.targetSchema, rel.name))
      // a valid local CHECK is declared inline with its table; its comment follows the table
      if (k.local && comment.length > 0)
        plan.add(relationKey(rel.targetSchema, rel.name), 'table', q, 'pre-data', comment)
    } else if (k.type === 'f' && k.parent === null) {
      const ref = k.referenced === null ? undefined : selected.get(k.referenced)
      if (ref === undefined) {
        plan.unsupportedObject(
          `${rel.schema}.${rel.name}.${k.name}`,
          'foreign key to a table outside the selection: not created',
        )
        continue
      }
      const key = onTableKey('foreign-key', q, k.name)
      const only = rel.kind === 'p' ? '' : 'ONLY '
      // Added NOT VALID (a moment's lock on both tables), then validated in a step of its own under
      // SHARE UPDATE EXCLUSIVE, which lets writes and other validations of the referenced table go
      // on. Added whole where that does not work: before v18 a partitioned table cannot take a NOT
      // VALID foreign key, and VALIDATE leaves the constraints derived for the partitions of a
      // referenced partitioned table not valid (seen on v16 and v17).
      const split = k.validated && rel.kind !== 'p' && ref.kind !== 'p'
      const relations = [...new Set([...tree(rel.oid), ...tree(ref.oid)])]
      plan.add(
        key,
        'foreign-key',
        `${q}.${name}`,
        'post-data',
        [
          `ALTER TABLE ${only}${q} ADD CONSTRAINT ${name} ${k.definition}${split ? ' NOT VALID' : ''}`,
          ...comment,
        ],
        {
          dependsOn: [
            relationKey(rel.targetSchema, rel.name),
            relationKey(ref.targetSchema, ref.name),
          ],
          relations,
        },
      )
      let last = key
      if (split) {
        last = onTableKey('foreign-key-validate', q, k.name)
        plan.add(
          last,
          'foreign-key-validate',
          `${q}.${name}`,
          'post-data',
          [`ALTER TABLE ${only}${q} VALIDATE CONSTRAINT ${name}`],
          { dependsOn: [key], relations },
        )
      }
      plan.ref('pg_constraint', k.oid, last)
      if (k.index !== null) foreignKeys.push({ key, index: k.index })
    }
  }

  for (const i of cat.indexes) {
    const rel = selected.get(i.table)
    if (rel === undefined) continue
    const q = targetName(rel)
    if (i.constraint !== null) {
      if (i.replicaIdentity)
        addReplicaIdentity(plan, rel, q, i.name, plan.stepOf('pg_class', i.oid))
      continue
    }
    const iq = quoteQualified(rel.targetSchema, i.name)
    const key = `index:${iq}`
    const def = retarget(i.definition, i.tableSpelling, q)
    const sql = [def, ...plan.comment('INDEX', iq, 'pg_class', i.oid)]
    if (i.clustered) sql.push(`ALTER TABLE ONLY ${q} CLUSTER ON ${quoteIdent(i.name)}`)
    plan.add(key, 'index', iq, 'post-data', sql, {
      dependsOn: [relationKey(rel.targetSchema, rel.name)],
      relations: [rel.oid],
    })
    plan.ref('pg_class', i.oid, key)
    if (i.replicaIdentity) addReplicaIdentity(plan, rel, q, i.name, key)
  }

  // attach each partition's index (or key constraint's index) to its parent's
  const attachesUnder = new Map<string, { attach: string; child: string }[]>()
  const attachList: { key: string; index: number }[] = []
  for (const i of cat.indexes) {
    if (i.parent === null) continue
    const child = indexName(i.oid)
    const parent = indexName(i.parent)
    const childStep = plan.stepOf('pg_class', i.oid)
    const parentStep = plan.stepOf('pg_class', i.parent)
    if (
      child === undefined ||
      parent === undefined ||
      childStep === undefined ||
      parentStep === undefined
    )
      continue
    const attach = `index-attach:${child}`
    attachList.push({ key: attach, index: i.oid })
    plan.add(
      attach,
      'index-attach',
      child,
      'post-data',
      [`ALTER INDEX ${parent} ATTACH PARTITION ${child}`],
      {
        dependsOn: [childStep, parentStep],
        relations: [i.table],
      },
    )
    attachesUnder.set(parentStep, [
      ...(attachesUnder.get(parentStep) ?? []),
      { attach, child: childStep },
    ])
  }
  chainAttaches(plan, cat.indexes, attachList)
  addForeignKeyDependencies(plan, foreignKeys, attachesUnder)
}

/**
 * Attachments run one after another, deepest first. Two concurrent `ATTACH PARTITION`s to the same
 * parent index each miss the other's uncommitted attachment, so neither marks the parent valid and
 * it stays invalid for good; the full load runs post-data steps in parallel, hence the chain.
 */
function chainAttaches(
  plan: StepPlan,
  indexes: SourceCatalog['indexes'],
  attachList: readonly { key: string; index: number }[],
): void {
  const parentOf = new Map(indexes.map((i) => [i.oid, i.parent]))
  const depth = (oid: number): number => {
    let d = 0
    for (let p = parentOf.get(oid); p != null; p = parentOf.get(p)) d++
    return d
  }
  const ordered = attachList.map((a) => ({ ...a, depth: depth(a.index) }))
  ordered.sort((a, b) => b.depth - a.depth)
  let previous: string | undefined
  for (const a of ordered) {
    const step = plan.steps.get(a.key)
    if (step === undefined) continue
    if (previous !== undefined) step.dependsOn.add(previous)
    previous = step.key
  }
}

/**
 * A partitioned table's key is valid only once every partition's index is attached to it, so a
 * foreign key waits for the referenced key and for every attachment below it.
 */
function addForeignKeyDependencies(
  plan: StepPlan,
  foreignKeys: readonly { key: string; index: number }[],
  attachesUnder: ReadonlyMap<string, readonly { attach: string; child: string }[]>,
): void {
  for (const fk of foreignKeys) {
    const target = plan.stepOf('pg_class', fk.index)
    const step = plan.steps.get(fk.key)
    if (target === undefined || step === undefined) continue
    const stack = [target]
    const seen = new Set<string>()
    while (stack.length > 0) {
      const k = stack.pop()
      if (k === undefined || seen.has(k)) continue
      seen.add(k)
      step.dependsOn.add(k)
      for (const a of attachesUnder.get(k) ?? []) {
        step.dependsOn.add(a.attach)
        stack.push(a.child)
      }
    }
  }
}

/**
 * Extended statistics: post-data (they describe the data), in the table's target schema when the
 * statistics object lives in the table's schema, else in its own.
 */
export function addStatisticsSteps(plan: StepPlan, cat: SourceCatalog): void {
  const selected = new Map(cat.selection.relations.map((r) => [r.oid, r]))
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  for (const st of cat.statistics) {
    const rel = selected.get(st.table)
    if (rel === undefined) continue
    const q = quoteQualified(targetSchema.get(st.schema) ?? st.schema, st.name)
    let def = st.definition
    if (def.startsWith(`CREATE STATISTICS ${st.spelling}`))
      def = `CREATE STATISTICS ${q}${def.slice(`CREATE STATISTICS ${st.spelling}`.length)}`
    const fromAt = def.lastIndexOf(' FROM ')
    if (fromAt >= 0) def = `${def.slice(0, fromAt)} FROM ${targetName(rel)}`
    const sql = [def]
    if (st.target !== null) sql.push(`ALTER STATISTICS ${q} SET STATISTICS ${st.target}`)
    sql.push(...plan.owner('STATISTICS', q, st.owner))
    sql.push(...plan.comment('STATISTICS', q, 'pg_statistic_ext', st.oid))
    const key = `statistics:${q}`
    plan.add(key, 'statistics', q, 'post-data', sql, {
      dependsOn: [relationKey(rel.targetSchema, rel.name)],
      relations: [rel.oid],
    })
    plan.ref('pg_statistic_ext', st.oid, key)
  }
}

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

function addReplicaIdentity(
  plan: StepPlan,
  rel: SelectedRelation,
  q: string,
  index: string,
  indexStep: string | undefined,
): void {
  plan.add(
    `replica-identity:${q}`,
    'replica-identity',
    q,
    'post-data',
    [`ALTER TABLE ONLY ${q} REPLICA IDENTITY USING INDEX ${quoteIdent(index)}`],
    {
      dependsOn: indexStep === undefined ? [] : [indexStep],
      relations: [rel.oid],
    },
  )
}
