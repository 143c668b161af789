import type { Stage } from '../stage/stage.js'
import { notImplemented } from '../stage/not-implemented.js'
import type { IncrementalSync } from './incremental-sync.js'

/** The built-in incremental stage: starts the stream and returns at once. */
export const incrementalStage: Stage<IncrementalSync> = {
  name: 'incremental',
  run: notImplemented('incremental'),
}
