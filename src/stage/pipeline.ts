/**
 * Stage order: the built-in stages the task's type needs, with each custom stage placed right after
 * the stage it names (in declaration order), and custom stages without `after` at the end.
 */
import type { MigrationType } from '../model/task-config.js'
import type { BuiltinStageName } from './builtin-stage-names.js'
import type { Stage } from '../model/stage.js'

/** Built-in stages per migration type. */
export const STAGES_BY_TYPE: Readonly<Record<MigrationType, readonly BuiltinStageName[]>> = {
  structure: ['precheck', 'schema'],
  full: ['precheck', 'schema', 'fullload'],
  'full+incremental': ['precheck', 'schema', 'fullload', 'incremental', 'complete'],
}

/** Order `builtins` and `custom` into one pipeline. */
export function buildPipeline(builtins: readonly Stage[], custom: readonly Stage[]): Stage[] {
  const out: Stage[] = [...builtins]
  const known = new Set(out.map((s) => s.name))
  const tail: Stage[] = []
  for (const stage of custom) {
    if (stage.after === undefined) {
      tail.push(stage)
      continue
    }
    if (!known.has(stage.after)) continue // attached to a built-in this type does not run
    // after the named stage and after custom stages already attached to it
    let at = out.findIndex((s) => s.name === stage.after) + 1
    while (
      at < out.length &&
      custom.includes(out[at] as Stage) &&
      isAttachedTo(out[at] as Stage, stage.after, custom)
    )
      at++
    out.splice(at, 0, stage)
    known.add(stage.name)
  }
  return [...out, ...tail]
}

function isAttachedTo(stage: Stage, root: string, custom: readonly Stage[]): boolean {
  let s: Stage | undefined = stage
  while (s?.after !== undefined) {
    if (s.after === root) return true
    const after: string = s.after
    s = custom.find((c) => c.name === after)
  }
  return false
}
