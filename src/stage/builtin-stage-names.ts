/**
 * Built-in stage names, in the order they run. Custom stages attach to these with `after`.
 * @public
 */
export const BUILTIN_STAGE_NAMES = [
  'precheck',
  'schema',
  'fullload',
  'incremental',
  'complete',
] as const

/** @public */
export type BuiltinStageName = (typeof BUILTIN_STAGE_NAMES)[number]
