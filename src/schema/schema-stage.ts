import type { Stage } from '../stage/stage.js'
import { notImplemented } from '../stage/not-implemented.js'
import type { SchemaResult } from './schema-result.js'

/** The built-in structure stage. */
export const schemaStage: Stage<SchemaResult> = { name: 'schema', run: notImplemented('schema') }
