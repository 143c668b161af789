import type { Stage } from '../stage/stage.js'
import { notImplemented } from '../stage/not-implemented.js'
import type { FullLoadResult } from './full-load-result.js'

/** The built-in full load stage. */
export const fullLoadStage: Stage<FullLoadResult> = {
  name: 'fullload',
  run: notImplemented('fullload'),
}
