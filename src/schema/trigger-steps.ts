/**
 * Post-data objects that act on rows: triggers (with their enabled state), rules, row-level security
 * policies and RLS enablement. They wait for their table's data so that loading does not fire them.
 */
import type { SelectedRelation } from '../catalog/selection.js'
import { quoteIdent, quoteLiteral, quoteQualified } from '../pg/quote.js'
import { targetName } from './relation-steps.js'
import type { SourceCatalog } from './source-catalog.js'
import { onTableKey, relationKey } from './step-keys.js'
import type { StepPlan } from './step-plan.js'

const ENABLE: Readonly<Record<string, string>> = {
  D: 'DISABLE',
  R: 'ENABLE REPLICA',
  A: 'ENABLE ALWAYS',
}
const COMMAND: Readonly<Record<string, string>> = {
  r: 'SELECT',
  a: 'INSERT',
  w: 'UPDATE',
  d: 'DELETE',
  '*': 'ALL',
}

/** Add trigger, rule, policy and row-security steps. */
export function addTriggerSteps(plan: StepPlan, cat: SourceCatalog): void {
  const selected = new Map(cat.selection.relations.map((r) => [r.oid, r]))
  const children = new Map<number, number[]>()
  for (const r of cat.selection.relations)
    if (r.parentOid !== undefined)
      children.set(r.parentOid, [...(children.get(r.parentOid) ?? []), r.oid])
  const tree = (oid: number): number[] => [oid, ...(children.get(oid) ?? []).flatMap(tree)]
  const dataOf = (rel: SelectedRelation): number[] => (rel.kind === 'v' ? [] : tree(rel.oid))

  // Triggers and rules: the definition, the enabled state when not the default, the comment.
  const onTable = (
    kind: 'trigger' | 'rule',
    o: { oid: number; table: number; name: string; enabled: string },
    definition: string,
    catalog: 'pg_trigger' | 'pg_rewrite',
  ): void => {
    const rel = selected.get(o.table)
    if (rel === undefined) return
    const q = targetName(rel)
    const name = quoteIdent(o.name)
    const key = onTableKey(kind, q, o.name)
    const word = kind.toUpperCase()
    const sql = [definition]
    const enable = ENABLE[o.enabled]
    if (enable !== undefined) sql.push(`ALTER TABLE ${q} ${enable} ${word} ${name}`)
    sql.push(...plan.comment(`${word} ${name} ON`, q, catalog, o.oid))
    plan.add(key, kind, `${q}.${name}`, 'post-data', sql, {
      dependsOn: [relationKey(rel.targetSchema, rel.name)],
      relations: dataOf(rel),
    })
    plan.ref(catalog, o.oid, key)
  }
  for (const t of cat.triggers) onTable('trigger', t, t.definition, 'pg_trigger')
  for (const r of cat.rules) onTable('rule', r, r.definition.trim().replace(/;$/, ''), 'pg_rewrite')

  for (const p of cat.policies) {
    const rel = selected.get(p.table)
    if (rel === undefined) continue
    const q = targetName(rel)
    const missing = p.roles.filter((r) => r !== 'public' && !plan.targetRoles.has(r))
    if (missing.length > 0) {
      plan.unsupportedObject(
        `${rel.schema}.${rel.name}.${p.name}`,
        `policy for roles missing on the target: ${missing.join(', ')}`,
      )
      continue
    }
    const name = quoteIdent(p.name)
    let d = `CREATE POLICY ${name} ON ${q} AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${COMMAND[p.command] ?? 'ALL'}`
    d += ` TO ${p.roles.length === 0 ? 'PUBLIC' : p.roles.map(quoteIdent).join(', ')}`
    if (p.using !== null) d += ` USING (${p.using})`
    if (p.withCheck !== null) d += ` WITH CHECK (${p.withCheck})`
    const key = onTableKey('policy', q, p.name)
    plan.add(
      key,
      'policy',
      `${q}.${name}`,
      'post-data',
      [d, ...plan.comment(`POLICY ${name} ON`, q, 'pg_policy', p.oid)],
      {
        dependsOn: [relationKey(rel.targetSchema, rel.name)],
        relations: [rel.oid],
      },
    )
    plan.ref('pg_policy', p.oid, key)
  }

  for (const rel of cat.selection.relations) {
    const info = cat.relations.get(rel.oid)
    if (info === undefined || (!info.rowSecurity && !info.forceRowSecurity)) continue
    const q = targetName(rel)
    const sql: string[] = []
    if (info.rowSecurity) sql.push(`ALTER TABLE ONLY ${q} ENABLE ROW LEVEL SECURITY`)
    if (info.forceRowSecurity) sql.push(`ALTER TABLE ONLY ${q} FORCE ROW LEVEL SECURITY`)
    plan.add(`row-security:${q}`, 'row-security', q, 'post-data', sql, {
      dependsOn: [relationKey(rel.targetSchema, rel.name)],
      relations: [rel.oid],
    })
  }
}

/**
 * Event triggers, last of post-data so that they do not fire on pgferry's own DDL. One whose
 * function is not migrated is reported instead.
 */
export function addEventTriggerSteps(plan: StepPlan, cat: SourceCatalog): void {
  const targetSchema = new Map(cat.selection.schemas.map((s) => [s.name, s.as]))
  for (const t of cat.eventTriggers) {
    const fnStep = plan.stepOf('pg_proc', t.function)
    const schema = targetSchema.get(t.functionSchema)
    if (fnStep === undefined || schema === undefined) {
      plan.unsupportedObject(
        `event trigger ${t.name}`,
        `its function ${t.functionSchema}.${t.functionName} is not migrated (select its schema)`,
      )
      continue
    }
    const q = quoteIdent(t.name)
    let d = `CREATE EVENT TRIGGER ${q} ON ${quoteIdent(t.event)}`
    if (t.tags !== null && t.tags.length > 0)
      d += ` WHEN TAG IN (${t.tags.map(quoteLiteral).join(', ')})`
    d += ` EXECUTE FUNCTION ${quoteQualified(schema, t.functionName)}()`
    const sql = [d]
    const enable = ENABLE[t.enabled]
    if (enable !== undefined) sql.push(`ALTER EVENT TRIGGER ${q} ${enable}`)
    sql.push(...plan.owner('EVENT TRIGGER', q, t.owner))
    sql.push(...plan.comment('EVENT TRIGGER', q, 'pg_event_trigger', t.oid))
    plan.add(`event-trigger:${q}`, 'event-trigger', q, 'post-data', sql, { dependsOn: [fnStep] })
  }
}
