/**
 * The stage calls as free functions, the shape of the README's example. Each is `task.<method>()`.
 */
import type { PrecheckOptions, PrecheckReport } from '../precheck/precheck-report.js'
import type { SchemaResult } from '../schema/schema-result.js'
import type { FullLoadResult } from '../fullload/full-load-result.js'
import type { IncrementalSync } from '../apply/incremental-sync.js'
import type { IncrementalOptions } from '../apply/apply-options.js'
import type { FullLoadOptions } from '../fullload/full-load-stage.js'
import type { CompleteOptions, CompleteResult } from '../complete/complete-result.js'
import type { StageCallOptions } from '../model/stage.js'
import type { Task } from './task.js'
import type { VerifyOptions, VerifyReport } from '../verify/verify-report.js'

/**
 * Check source and target without writing anything. Never throws for a failing check.
 * @public
 */
export function precheck(task: Task, options?: PrecheckOptions): Promise<PrecheckReport> {
  return task.precheck(options)
}

/**
 * Create the selected objects on the target.
 * @public
 */
export function migrateSchema(task: Task, options?: StageCallOptions): Promise<SchemaResult> {
  return task.migrateSchema(options)
}

/**
 * Copy every selected table as of one consistent moment, then build post-data objects.
 * @public
 */
export function fullLoad(task: Task, options?: FullLoadOptions): Promise<FullLoadResult> {
  return task.fullLoad(options)
}

/**
 * Start streaming changes from the full load's snapshot point; returns at once.
 * @public
 */
export function startIncremental(
  task: Task,
  options?: IncrementalOptions,
): Promise<IncrementalSync> {
  return task.startIncremental(options)
}

/**
 * Cut over: drain to zero lag, align sequences, verify, remove slot and publication.
 * @public
 */
export function complete(task: Task, options?: CompleteOptions): Promise<CompleteResult> {
  return task.complete(options)
}

/**
 * Compare the target with the source: row counts, every row by chunked checksums, or a sample.
 * @public
 */
export function verify(task: Task, options?: VerifyOptions): Promise<VerifyReport> {
  return task.verify(options)
}
