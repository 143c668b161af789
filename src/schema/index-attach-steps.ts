/**
 * Partitioned indexes attached partition by partition, as pg_dump does: `ON ONLY` the parent,
 * each partition's own index, then `ALTER INDEX … ATTACH PARTITION`.
 */
import type { ForeignKeyRef, KeyContext } from './key-context.js'
import type { SourceCatalog } from './source-catalog.js'
import type { StepPlan } from './step-plan.js'

/** Attach each partition's index (or key constraint's index) to its parent's. */
export function addIndexAttachSteps(
  plan: StepPlan,
  cat: SourceCatalog,
  keys: KeyContext,
  foreignKeys: readonly ForeignKeyRef[],
): void {
  const attachesUnder = new Map<string, { attach: string; child: string }[]>()
  const attachList: { key: string; index: number }[] = []
  for (const i of cat.indexes) {
    if (i.parent === null) continue
    const child = keys.indexName(i.oid)
    const parent = keys.indexName(i.parent)
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
  foreignKeys: readonly ForeignKeyRef[],
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
