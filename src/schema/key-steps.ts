/**
 * Post-data steps that give tables their keys and indexes: PK / unique / exclusion constraints,
 * NOT VALID checks and foreign keys (constraint-steps.ts), indexes (partial, expression, INCLUDE,
 * opclasses: `pg_get_indexdef`), partitioned indexes attached partition by partition
 * (index-attach-steps.ts), CLUSTER ON and REPLICA IDENTITY USING INDEX. Each names the source
 * relations whose data must be loaded first.
 */
import type { SelectedRelation } from '../catalog/selection.js'
import { quoteIdent, quoteQualified } from '../pg/quote.js'
import { addConstraintSteps } from './constraint-steps.js'
import { addIndexAttachSteps } from './index-attach-steps.js'
import { retarget } from './index-sql.js'
import { keyContext, type KeyContext } from './key-context.js'
import { targetName } from './relation-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { relationKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add constraint, index and foreign-key steps. */
export function addKeySteps(plan: StepPlan, cat: SourceCatalog): void {
  const keys = keyContext(cat)
  const foreignKeys = addConstraintSteps(plan, cat, keys)
  addIndexSteps(plan, cat, keys)
  addIndexAttachSteps(plan, cat, keys, foreignKeys)
}

/** Indexes that back no constraint, and REPLICA IDENTITY USING INDEX. */
function addIndexSteps(plan: StepPlan, cat: SourceCatalog, keys: KeyContext): void {
  for (const i of cat.indexes) {
    const rel = keys.selected.get(i.table)
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
