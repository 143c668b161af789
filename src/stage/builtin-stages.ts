import { precheckStage } from '../precheck/precheck-stage.js'
import { schemaStage } from '../schema/schema-stage.js'
import { fullLoadStage } from '../fullload/full-load-stage.js'
import { incrementalStage } from '../apply/incremental-stage.js'
import { completeStage } from '../complete/complete-stage.js'
import type { BuiltinStageName } from './builtin-stage-names.js'
import type { Stage } from '../model/stage.js'

/** The built-in stage objects, by name. */
export const BUILTIN_STAGES: Readonly<Record<BuiltinStageName, Stage>> = {
  precheck: precheckStage,
  schema: schemaStage,
  fullload: fullLoadStage,
  incremental: incrementalStage,
  complete: completeStage,
}
