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

/**
 * The name of a built-in stage.
 * @public
 */
export type BuiltinStageName = (typeof BUILTIN_STAGE_NAMES)[number]
