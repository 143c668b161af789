/**
 * User-defined operators (pre-data, after the functions they call). A commutator or negator that is
 * created later is first made as a shell operator by the server and filled in when its own step
 * runs, as in a plain SQL script.
 */
import { quoteIdent } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'
import { schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

/** Add a step per operator of the selected schemas. */
export function addOperatorSteps(plan: StepPlan, cat: SourceCatalog): void {
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  for (const o of cat.operators) {
    const schema = targetSchema.get(o.schema)
    if (schema === undefined) continue
    if (o.right === null) {
      plan.unsupportedObject(
        `operator ${o.schema}.${o.name}`,
        'postfix operators do not exist from v14',
      )
      continue
    }
    if (o.userFunction !== null && plan.stepOf('pg_proc', o.userFunction) === undefined) {
      plan.unsupportedObject(
        `operator ${o.schema}.${o.name}`,
        `needs function ${o.function}, which is not part of the migration`,
      )
      continue
    }
    // an operator name is not an identifier: it is never quoted, only schema-qualified
    const q = `${quoteIdent(schema)}.${o.name}`
    const signature = `${q} (${o.left ?? 'NONE'}, ${o.right})`
    const parts = [`FUNCTION = ${o.function}`]
    if (o.left !== null) parts.push(`LEFTARG = ${o.left}`)
    parts.push(`RIGHTARG = ${o.right}`)
    if (o.commutator !== null) parts.push(`COMMUTATOR = OPERATOR(${o.commutator})`)
    if (o.negator !== null) parts.push(`NEGATOR = OPERATOR(${o.negator})`)
    if (o.restrict !== null) parts.push(`RESTRICT = ${o.restrict}`)
    if (o.join !== null) parts.push(`JOIN = ${o.join}`)
    if (o.hashes) parts.push('HASHES')
    if (o.merges) parts.push('MERGES')
    const key = `operator:${signature}`
    plan.add(
      key,
      'operator',
      signature,
      'pre-data',
      [
        `CREATE OPERATOR ${q} (${parts.join(', ')})`,
        ...plan.owner('OPERATOR', signature, o.owner),
        ...plan.comment('OPERATOR', signature, 'pg_operator', o.oid),
      ],
      { dependsOn: [schemaKey(schema)] },
    )
    plan.ref('pg_operator', o.oid, key)
  }
}
