/**
 * Stage order. The composition root registers the built-in stages the task's type needs, then the
 * caller's, through this one call: each stage in turn goes right after the stage it names (and
 * after the stages already attached to that one, so declaration order holds), or to the end when
 * it names none. A stage naming one that is not in the pipeline (a built-in the type does not run)
 * is left out.
 */
import type { Stage } from '../model/stage.js'

/** Order `stages` (built-ins first, then custom ones) into one pipeline. */
export function buildPipeline(stages: readonly Stage[]): Stage[] {
  const out: Stage[] = []
  for (const stage of stages) {
    if (stage.after === undefined) {
      out.push(stage)
      continue
    }
    const root = stage.after
    let at = out.findIndex((s) => s.name === root)
    if (at === -1) continue
    at++
    while (at < out.length && isAttachedTo(out[at] as Stage, root, out)) at++
    out.splice(at, 0, stage)
  }
  return out
}

/** True when `stage` follows `root` through a chain of `after`s. */
function isAttachedTo(stage: Stage, root: string, pipeline: readonly Stage[]): boolean {
  let s: Stage | undefined = stage
  while (s?.after !== undefined) {
    if (s.after === root) return true
    const after: string = s.after
    s = pipeline.find((c) => c.name === after)
  }
  return false
}
