import type { Stage } from '../stage/stage.js'
import { notImplemented } from '../stage/not-implemented.js'
import type { CompleteResult } from './complete-result.js'

/** The built-in cutover stage. */
export const completeStage: Stage<CompleteResult> = {
  name: 'complete',
  run: notImplemented('complete'),
}
