/**
 * Functions, procedures and aggregates (pre-data). Functions use the server's own
 * `pg_get_functiondef` text with the head renamed to the target schema; bodies are created with
 * `check_function_bodies = off` (set by the runner), so a body may name objects created later.
 */
import type { AggregateInfo } from '../catalog/functions.js'
import { quoteLiteral, quoteQualified } from '../pg/quote.js'
import type { SourceCatalog } from './source-catalog.js'
import { functionKey, schemaKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

const MODIFY: Readonly<Record<string, string>> = { r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE' }

/** Languages that exist in every database (others come with their extension). */
const CORE_LANGUAGES = new Set(['sql', 'plpgsql', 'c', 'internal'])

/** Add the steps of every selected function, procedure and aggregate. */
export function addRoutineSteps(
  plan: StepPlan,
  cat: SourceCatalog,
  targetLanguages: ReadonlySet<string>,
  targetMajor: number,
): void {
  const defs = new Map(cat.functions.map((f) => [f.oid, f]))
  const aggs = new Map(cat.aggregates.map((a) => [a.oid, a]))
  const extLanguages = new Set(cat.extensions.map((e) => e.name))
  for (const f of cat.selection.functions) {
    const q = quoteQualified(f.targetSchema, f.name)
    const sig = `${q}(${f.identityArgs})`
    const key = functionKey(f.targetSchema, f.name, f.identityArgs)
    const keyword = f.kind === 'p' ? 'PROCEDURE' : f.kind === 'a' ? 'AGGREGATE' : 'FUNCTION'
    const aclKeyword = f.kind === 'p' ? 'PROCEDURE' : 'FUNCTION'
    let sql: string[]
    let owner: string
    if (f.kind === 'a') {
      const a = aggs.get(f.oid)
      if (a === undefined) continue
      sql = [createAggregateSql(a, sig, targetMajor)]
      owner = a.owner
    } else {
      const d = defs.get(f.oid)
      if (d === undefined || d.internal) continue
      if (
        !CORE_LANGUAGES.has(d.language) &&
        !targetLanguages.has(d.language) &&
        !extLanguages.has(d.language)
      ) {
        plan.unsupportedObject(
          `${f.schema}.${f.name}(${f.identityArgs})`,
          `language ${d.language} is not installed on the target`,
        )
        continue
      }
      const head = `CREATE OR REPLACE ${f.kind === 'p' ? 'PROCEDURE' : 'FUNCTION'} ${q}(`
      sql = [
        d.definition.startsWith(d.head) ? head + d.definition.slice(d.head.length) : d.definition,
      ]
      owner = d.owner
    }
    sql.push(...plan.owner(keyword, sig, owner))
    sql.push(...plan.comment(keyword, sig, 'pg_proc', f.oid))
    sql.push(...plan.grants(aclKeyword, sig, owner, cat.acls.functions.get(f.oid)))
    plan.add(
      key,
      f.kind === 'p' ? 'procedure' : f.kind === 'a' ? 'aggregate' : 'function',
      sig,
      'pre-data',
      sql,
      {
        dependsOn: [schemaKey(f.targetSchema)],
      },
    )
    plan.ref('pg_proc', f.oid, key)
  }
}

/** `CREATE AGGREGATE` with every option the source aggregate has (FINALFUNC_MODIFY from v11). */
function createAggregateSql(a: AggregateInfo, sig: string, targetMajor: number): string {
  const parts = [`SFUNC = ${a.transFn}`, `STYPE = ${a.stateType}`]
  if (a.stateSpace > 0) parts.push(`SSPACE = ${a.stateSpace}`)
  if (a.finalFn !== null) parts.push(`FINALFUNC = ${a.finalFn}`)
  if (a.finalExtra) parts.push('FINALFUNC_EXTRA')
  if (a.finalFn !== null && a.finalModify !== null && targetMajor >= 11)
    parts.push(`FINALFUNC_MODIFY = ${MODIFY[a.finalModify] ?? 'READ_ONLY'}`)
  if (a.combineFn !== null) parts.push(`COMBINEFUNC = ${a.combineFn}`)
  if (a.serialFn !== null) parts.push(`SERIALFUNC = ${a.serialFn}`)
  if (a.deserialFn !== null) parts.push(`DESERIALFUNC = ${a.deserialFn}`)
  if (a.initCond !== null) parts.push(`INITCOND = ${quoteLiteral(a.initCond)}`)
  const m = a.moving
  if (m !== null) {
    parts.push(`MSFUNC = ${m.transFn}`, `MINVFUNC = ${m.invFn}`, `MSTYPE = ${m.stateType}`)
    if (m.stateSpace > 0) parts.push(`MSSPACE = ${m.stateSpace}`)
    if (m.finalFn !== null) parts.push(`MFINALFUNC = ${m.finalFn}`)
    if (m.finalExtra) parts.push('MFINALFUNC_EXTRA')
    if (m.finalFn !== null && m.finalModify !== null && targetMajor >= 11)
      parts.push(`MFINALFUNC_MODIFY = ${MODIFY[m.finalModify] ?? 'READ_ONLY'}`)
    if (m.initCond !== null) parts.push(`MINITCOND = ${quoteLiteral(m.initCond)}`)
  }
  if (a.sortOp !== null) parts.push(`SORTOP = ${a.sortOp}`)
  if (a.aggKind === 'h') parts.push('HYPOTHETICAL')
  if (a.parallel === 's') parts.push('PARALLEL = SAFE')
  else if (a.parallel === 'r') parts.push('PARALLEL = RESTRICTED')
  return `CREATE AGGREGATE ${sig} (\n  ${parts.join(',\n  ')}\n)`
}
