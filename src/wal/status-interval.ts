/**
 * How often the transport sends standby status updates. The walsender ends a connection that has
 * not replied within wal_sender_timeout, and a busy consumer cannot answer the server's keepalive
 * requests (the socket is paused), so updates go out on a timer at half the timeout.
 */

/** Updates are sent at least this often, also when wal_sender_timeout is longer or off (0). */
export const DEFAULT_MAX_STATUS_INTERVAL_MS = 10_000

/** `60s`, `2500ms`, `1min`, `0` → milliseconds (SHOW prints GUC_UNIT_MS settings this way). */
export function parseDurationMs(text: string): number {
  const m = /^(\d+)\s*(ms|s|min|h|d)?$/.exec(text.trim())
  if (m === null) return 0
  const n = Number(m[1])
  const unit = m[2] ?? 'ms'
  const scale =
    unit === 'ms'
      ? 1
      : unit === 's'
        ? 1000
        : unit === 'min'
          ? 60_000
          : unit === 'h'
            ? 3_600_000
            : 86_400_000
  return n * scale
}

/** Half of `SHOW wal_sender_timeout`, at most {@link DEFAULT_MAX_STATUS_INTERVAL_MS}. */
export function statusIntervalFor(walSenderTimeout: string): number {
  const timeout = parseDurationMs(walSenderTimeout)
  return timeout > 0
    ? Math.min(timeout / 2, DEFAULT_MAX_STATUS_INTERVAL_MS)
    : DEFAULT_MAX_STATUS_INTERVAL_MS
}
