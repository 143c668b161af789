/**
 * Creation order. The source's `pg_depend` edges become step dependencies; a pre-data step that
 * needs a post-data one (a view grouping by a primary key) moves to post-data with it; the steps
 * are then sorted topologically, ties broken by kind (schemas, extensions, types, functions,
 * sequences, tables, views, then the post-data kinds) and by the order they were planned.
 */
import type { DependEdge } from '../catalog/depend-edges.js'
import { KIND_PRIORITY, type PlanStep, type StepPlan } from './step-plan.js'

/**
 * Kinds that hang off a selected table and are left out, with a report, when they need an object
 * the migration does not create (an index on a function that is not selected): the table still
 * migrates. Anything else that needs a missing object is attempted and fails with the server's
 * message (the precheck names missing dependencies first).
 */
const DROPPABLE = new Set(['index', 'constraint', 'trigger', 'rule', 'policy', 'statistics'])

/** Catalogs whose objects pgferry creates as steps (a reference to one outside the plan is "missing"). */
const CREATED_CATALOGS = new Set(['pg_class', 'pg_proc', 'pg_type', 'pg_collation'])

/** Turn source dependency edges into step dependencies (skipping a sequence's OWNED BY edge). */
export function applyEdges(plan: StepPlan, edges: readonly DependEdge[]): void {
  const missing = new Map<string, string>()
  for (const e of edges) {
    const from = plan.stepOf(e.from.catalog, e.from.oid)
    const to = plan.stepOf(e.to.catalog, e.to.oid)
    if (from !== undefined && to === undefined && CREATED_CATALOGS.has(e.to.catalog)) {
      const step = plan.steps.get(from)
      if (step !== undefined && DROPPABLE.has(step.kind) && !missing.has(from))
        missing.set(from, e.toName)
    }
    if (from === undefined || to === undefined || from === to) continue
    const step = plan.steps.get(from)
    const target = plan.steps.get(to)
    if (step === undefined || target === undefined) continue
    // a sequence is "auto" dependent on the table owning it; the table's DEFAULT needs the sequence first
    if (step.kind === 'sequence' && target.kind === 'table') continue
    step.dependsOn.add(to)
  }
  dropSteps(plan, missing)
}

/** Remove steps that need a missing object, and the steps that need them, reporting each. */
function dropSteps(plan: StepPlan, missing: ReadonlyMap<string, string>): void {
  const dropped = new Map(missing)
  let grew = true
  while (grew) {
    grew = false
    for (const s of plan.steps.values()) {
      if (dropped.has(s.key)) continue
      for (const d of s.dependsOn) {
        const step = plan.steps.get(d)
        if (dropped.has(d) && step !== undefined) {
          dropped.set(s.key, `${step.kind} ${step.name}`)
          grew = true
          break
        }
      }
    }
  }
  for (const [key, needs] of dropped) {
    const s = plan.steps.get(key)
    if (s === undefined) continue
    plan.steps.delete(key)
    plan.unsupportedObject(
      `${s.kind} ${s.name}`,
      `needs ${needs}, which is not part of the migration: select it (or set includeDependencies: true; --include-dependencies at the command line)`,
    )
  }
}

/** Move pre-data steps that depend on post-data steps to post-data; give refreshes their tables. */
export function splitPhases(plan: StepPlan): void {
  let moved = true
  while (moved) {
    moved = false
    for (const s of plan.steps.values()) {
      if (s.phase !== 'pre-data') continue
      for (const d of s.dependsOn) {
        if (plan.steps.get(d)?.phase === 'post-data') {
          s.phase = 'post-data'
          if (s.kind !== 'table') s.relations.clear()
          moved = true
          break
        }
      }
    }
  }
  for (const s of plan.steps.values()) {
    if (s.kind !== 'matview-refresh') continue
    // the data a refresh reads: every table reachable through the matview's definition
    const seen = new Set<string>()
    const stack = [...s.dependsOn]
    while (stack.length > 0) {
      const k = stack.pop()
      if (k === undefined || seen.has(k)) continue
      seen.add(k)
      const d = plan.steps.get(k)
      if (d === undefined) continue
      if (d.kind === 'table') for (const r of d.relations) s.relations.add(r)
      if (d.kind === 'materialized-view') {
        const refresh = `matview-refresh:${d.name}`
        if (refresh !== s.key && plan.steps.has(refresh)) s.dependsOn.add(refresh)
      }
      if (d.phase === 'pre-data' || d.kind === 'view') stack.push(...d.dependsOn)
    }
  }
}

/** A binary min-heap on [priority, ordinal]. */
class Heap {
  readonly #a: { p: number; o: number; s: PlanStep }[] = []
  get size(): number {
    return this.#a.length
  }
  push(x: { p: number; o: number; s: PlanStep }): void {
    const a = this.#a
    a.push(x)
    let i = a.length - 1
    while (i > 0) {
      const j = (i - 1) >> 1
      if (!less(a[i]!, a[j]!)) break
      ;[a[i], a[j]] = [a[j]!, a[i]!]
      i = j
    }
  }
  pop(): PlanStep | undefined {
    const a = this.#a
    const top = a[0]
    const last = a.pop()
    if (top === undefined || last === undefined) return undefined
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && less(a[l]!, a[m]!)) m = l
        if (r < a.length && less(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top.s
  }
}
const less = (x: { p: number; o: number }, y: { p: number; o: number }): boolean =>
  x.p < y.p || (x.p === y.p && x.o < y.o)

/**
 * Sort steps so every step follows what it depends on. A cycle (rare: a function taking a table's
 * row type used in that table's DEFAULT) is broken at its lowest-priority step; `onCycle` names it.
 */
export function sortSteps(
  steps: readonly PlanStep[],
  onCycle: (step: PlanStep) => void = () => {},
): PlanStep[] {
  const byKey = new Map(steps.map((s) => [s.key, s]))
  const ordinal = new Map(steps.map((s, i) => [s.key, i]))
  const waiting = new Map<string, number>()
  const dependents = new Map<string, string[]>()
  for (const s of steps) {
    let n = 0
    for (const d of s.dependsOn) {
      if (d === s.key || !byKey.has(d)) continue
      n++
      const list = dependents.get(d)
      if (list === undefined) dependents.set(d, [s.key])
      else list.push(s.key)
    }
    waiting.set(s.key, n)
  }
  const entry = (s: PlanStep): { p: number; o: number; s: PlanStep } => ({
    p: (s.phase === 'post-data' ? 100 : 0) + (KIND_PRIORITY[s.kind] ?? 50),
    o: ordinal.get(s.key) ?? 0,
    s,
  })
  const heap = new Heap()
  for (const s of steps) if (waiting.get(s.key) === 0) heap.push(entry(s))
  const out: PlanStep[] = []
  const done = new Set<string>()
  while (out.length < steps.length) {
    let s = heap.pop()
    if (s === undefined) {
      // cycle: release the first remaining step in priority order
      const rest = steps.filter((x) => !done.has(x.key)).map(entry)
      rest.sort((a, b) => (less(a, b) ? -1 : 1))
      s = rest[0]?.s
      if (s === undefined) break
      onCycle(s)
      waiting.set(s.key, 0)
    }
    if (done.has(s.key)) continue
    done.add(s.key)
    out.push(s)
    for (const k of dependents.get(s.key) ?? []) {
      const n = (waiting.get(k) ?? 0) - 1
      waiting.set(k, n)
      const dep = byKey.get(k)
      if (n === 0 && dep !== undefined && !done.has(k)) heap.push(entry(dep))
    }
  }
  return out
}
