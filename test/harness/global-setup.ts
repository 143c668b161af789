import { sweepStaleClusters } from './cluster.js'

/** Once per test run: remove cluster directories left by runs that were killed. */
export default function setup(): void {
  sweepStaleClusters()
}
