/**
 * The loop of `status --watch` and `events --follow`: run a step every interval until the step
 * says it is finished or Ctrl-C (SIGINT/SIGTERM) arrives; a signal during the wait ends the wait
 * at once.
 */
import type { Flags } from './parse-command-line.js'
import { ShutdownSignals } from './shutdown-signals.js'
import { UsageError } from './usage-error.js'

/** How a repeated step ended. */
export type RepeatEnd = 'finished' | 'interrupted'

/** `--interval S` in milliseconds (a positive number of seconds), or `defaultSeconds`. */
export function intervalFromFlags(flags: Flags, command: string, defaultSeconds: number): number {
  const text = flags.string('interval')
  if (text === undefined) return defaultSeconds * 1000
  const seconds = Number(text)
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--interval: '${text}' is not a positive number of seconds`, command)
  return seconds * 1000
}

/** Run `step` now and then every `intervalMs` until it resolves true (finished) or a signal comes. */
export async function repeatUntilSignal(
  intervalMs: number,
  step: () => Promise<boolean>,
): Promise<RepeatEnd> {
  const signals = new ShutdownSignals()
  try {
    for (;;) {
      if (await step()) return 'finished'
      if (signals.signal.aborted) return 'interrupted'
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        signals.received(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, intervalMs))),
      ])
      clearTimeout(timer)
      if (signals.signal.aborted) return 'interrupted'
    }
  } finally {
    signals.dispose()
  }
}
