/**
 * The error of a replication connection that received nothing within the receive timeout
 * (receive-watchdog.ts): dead without having said so, so retryable on a new connection.
 */
import { PgferryError } from '../errors.js'

/** `PGFERRY_CONNECTION_LOST` naming the silence of `timeoutMs` and the fix. */
export function receiveTimeoutError(timeoutMs: number): PgferryError {
  const silence = Object.assign(new Error(`no data within ${timeoutMs} ms`), {
    code: 'ETIMEDOUT',
  })
  return new PgferryError(
    'PGFERRY_CONNECTION_LOST',
    `the replication connection received nothing from the source for ${timeoutMs} ms (receiveTimeoutMs), not even the reply a live walsender sends at once when asked: the network path or the source host is gone without closing the connection`,
    {
      side: 'source',
      cause: silence,
      fix: 'start the stream again on a new replication connection once the source is reachable: it resumes from the confirmed position, which the slot keeps (raise receiveTimeoutMs only if the network is known to stall that long)',
    },
  )
}
