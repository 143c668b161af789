/**
 * The composition root of the pipeline: which built-in stages each migration type runs, and the
 * options and result each built-in stage call takes and gives. `stage/` knows none of them; the
 * task registers them through the same call as the caller's custom stages (buildPipeline).
 */
import { precheckStage } from '../precheck/precheck-stage.js'
import { schemaStage } from '../schema/schema-stage.js'
import { fullLoadStage, type FullLoadOptions } from '../fullload/full-load-stage.js'
import { incrementalStage } from '../apply/incremental-stage.js'
import { completeStage } from '../complete/complete-stage.js'
import type { IncrementalOptions } from '../apply/apply-options.js'
import type { IncrementalSync } from '../apply/incremental-sync.js'
import type { CompleteOptions, CompleteResult } from '../complete/complete-result.js'
import type { FullLoadResult } from '../fullload/full-load-result.js'
import type { PrecheckOptions, PrecheckReport } from '../precheck/precheck-report.js'
import type { SchemaResult } from '../schema/schema-result.js'
import type { BuiltinStageName } from './builtin-stage-names.js'
import { buildPipeline } from '../stage/pipeline.js'
import type { Stage, StageCallOptions } from '../model/stage.js'
import type { MigrationType } from '../model/task-config.js'
import type { ResolvedTaskConfig } from '../model/resolved-config.js'

/**
 * The options of each built-in stage's call, by stage name (`StageContext<StageOptions['…']>`).
 * @public
 */
export interface StageOptions {
  /** `task.precheck()`. */
  readonly precheck: PrecheckOptions
  /** `task.migrateSchema()`. */
  readonly schema: StageCallOptions
  /** `task.fullLoad()`. */
  readonly fullload: FullLoadOptions
  /** `task.startIncremental()`. */
  readonly incremental: IncrementalOptions
  /** `task.complete()`. */
  readonly complete: CompleteOptions
}

/**
 * What each built-in stage returns, by stage name (also `RunResult.results[name]`).
 * @public
 */
export interface StageResults {
  /** The precheck report; `ok: false` stops `run()`. */
  readonly precheck: PrecheckReport
  /** What the structure stage created. */
  readonly schema: SchemaResult
  /** What the full load copied. */
  readonly fullload: FullLoadResult
  /** The running sync's handle. */
  readonly incremental: IncrementalSync
  /** What the cutover did. */
  readonly complete: CompleteResult
}

/** The built-in stage objects, by name, typed by their options and results. */
const BUILTIN_STAGES: {
  readonly [K in BuiltinStageName]: Stage<StageResults[K], StageOptions[K]>
} = {
  precheck: precheckStage,
  schema: schemaStage,
  fullload: fullLoadStage,
  incremental: incrementalStage,
  complete: completeStage,
}

/** Built-in stages per migration type, in order. */
const STAGES_BY_TYPE: Readonly<Record<MigrationType, readonly BuiltinStageName[]>> = {
  structure: ['precheck', 'schema'],
  full: ['precheck', 'schema', 'fullload'],
  'full+incremental': ['precheck', 'schema', 'fullload', 'incremental', 'complete'],
}

/** The task's pipeline: the built-ins of its type, then its custom stages, placed by one rule. */
export function taskPipeline(config: ResolvedTaskConfig): Stage[] {
  const builtins = STAGES_BY_TYPE[config.type].map((n) => BUILTIN_STAGES[n] as Stage)
  return buildPipeline([...builtins, ...config.stages])
}
