/**
 * Whether an error means the session itself is gone (the server ended it, restarted or crashed,
 * or the network cut it) rather than a statement the server refused: the first is mended by
 * connecting again, the second is not.
 */
import { PgferryError, sqlStateOf } from '../errors.js'

/**
 * Server errors that end the session, not the statement: admin_shutdown (pg_terminate_backend,
 * `-m fast`/`-m immediate`), crash_shutdown, cannot_connect_now (still in recovery after a
 * restart), idle_session_timeout (v14+). Class 08 is connection_exception.
 */
const SESSION_ENDED = new Set(['57P01', '57P02', '57P03', '57P05'])

/** Node's socket errors of a connection that broke. */
const SOCKET_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
])

/** What pg says when the socket closed under a query (no SQLSTATE then). */
const CLOSED =
  /Connection terminated|Client has encountered a connection error|not queryable|socket hang up/i

/** True when `error` (or the error it wraps) is the loss of its connection. */
export function isConnectionLoss(error: unknown): boolean {
  let e: unknown = error
  for (let depth = 0; e !== null && e !== undefined && depth < 8; depth++) {
    const state = sqlStateOf(e)
    if (state !== undefined) return state.startsWith('08') || SESSION_ENDED.has(state)
    const sys = (e as { code?: unknown }).code
    if (typeof sys === 'string' && SOCKET_ERRORS.has(sys)) return true
    if (!(e instanceof PgferryError) && CLOSED.test(e instanceof Error ? e.message : String(e)))
      return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}
