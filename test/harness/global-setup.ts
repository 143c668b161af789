import { bundleChildScripts } from './child-bundles.js'
import { sweepStaleClusters } from './cluster.js'

/**
 * Once per test run: remove cluster directories left by runs that were killed, and bundle the
 * scripts tests spawn (child-bundles.ts); the returned teardown removes the bundles.
 */
export default async function setup(): Promise<() => void> {
  sweepStaleClusters()
  return bundleChildScripts()
}
