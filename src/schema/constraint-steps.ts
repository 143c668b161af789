/**
 * Post-data steps of table constraints: PK / unique / exclusion keys (their index in a step of its
 * own), NOT VALID checks, and foreign keys (added NOT VALID, then validated). Valid local CHECKs
 * are declared inline with their table (relation-steps.ts); only their comments land here.
 */
import type { ConstraintInfo } from '../catalog/constraints.js'
import type { SelectedRelation } from '../catalog/selection.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import { keyConstraintSql } from './index-sql.js'
import type { ForeignKeyRef, KeyContext } from './key-context.js'
import { targetName } from './relation-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { onTableKey, relationKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add the constraint steps; returns the foreign keys that use a key's index. */
export function addConstraintSteps(
  plan: StepPlan,
  cat: SourceCatalog,
  keys: KeyContext,
): ForeignKeyRef[] {
  const foreignKeys: ForeignKeyRef[] = []
  for (const k of cat.constraints) {
    const rel = keys.selected.get(k.table)
    if (rel === undefined) continue
    const q = targetName(rel)
    const comment = plan.comment(`CONSTRAINT ${quoteIdent(k.name)} ON`, q, 'pg_constraint', k.oid)
    if (k.type === 'p' || k.type === 'u' || k.type === 'x') {
      addKeyConstraint(plan, keys, k, k.type, rel, comment)
    } else if (k.type === 'c' && k.local && !k.validated) {
      const key = onTableKey('constraint', q, k.name)
      plan.add(
        key,
        'constraint',
        `${q}.${quoteIdent(k.name)}`,
        'post-data',
        [`ALTER TABLE ONLY ${q} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`, ...comment],
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
      const key = addForeignKey(plan, keys, k, rel, comment)
      if (key !== undefined && k.index !== null) foreignKeys.push({ key, index: k.index })
    }
  }
  return foreignKeys
}

/** A primary key, unique or exclusion constraint, and the index it is built from. */
function addKeyConstraint(
  plan: StepPlan,
  keys: KeyContext,
  k: ConstraintInfo,
  type: 'p' | 'u' | 'x',
  rel: SelectedRelation,
  comment: readonly string[],
): void {
  const q = targetName(rel)
  const name = quoteIdent(k.name)
  const key = onTableKey('constraint', q, k.name)
  const idx = k.index === null ? undefined : keys.indexByOid.get(k.index)
  const built = keyConstraintSql(rel, q, k.name, type, k.definition, idx)
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
  if (idx?.clustered === true) sql.push(`ALTER TABLE ONLY ${q} CLUSTER ON ${quoteIdent(idx.name)}`)
  plan.add(key, 'constraint', `${q}.${name}`, 'post-data', sql, {
    dependsOn,
    relations: [rel.oid],
  })
  plan.ref('pg_constraint', k.oid, key)
  if (k.index !== null) plan.ref('pg_class', k.index, key)
}

/** A foreign key (not one cloned from a parent's); returns its step, undefined when not created. */
function addForeignKey(
  plan: StepPlan,
  keys: KeyContext,
  k: ConstraintInfo,
  rel: SelectedRelation,
  comment: readonly string[],
): string | undefined {
  const ref = k.referenced === null ? undefined : keys.selected.get(k.referenced)
  if (ref === undefined) {
    plan.unsupportedObject(
      `${rel.schema}.${rel.name}.${k.name}`,
      'foreign key to a table outside the selection: not created',
    )
    return undefined
  }
  const q = targetName(rel)
  const name = quoteIdent(k.name)
  const key = onTableKey('foreign-key', q, k.name)
  const only = rel.kind === 'p' ? '' : 'ONLY '
  // Added NOT VALID (a moment's lock on both tables), then validated in a step of its own under
  // SHARE UPDATE EXCLUSIVE, which lets writes and other validations of the referenced table go
  // on. Added whole where that does not work: before v18 a partitioned table cannot take a NOT
  // VALID foreign key, and VALIDATE leaves the constraints derived for the partitions of a
  // referenced partitioned table not valid (seen on v16 and v17).
  const split = k.validated && rel.kind !== 'p' && ref.kind !== 'p'
  const relations = [...new Set([...keys.tree(rel.oid), ...keys.tree(ref.oid)])]
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
      dependsOn: [relationKey(rel.targetSchema, rel.name), relationKey(ref.targetSchema, ref.name)],
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
  return key
}
