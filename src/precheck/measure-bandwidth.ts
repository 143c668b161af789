/**
 * How fast the source sends data to this process, over a connection the precheck already holds:
 * a few `COPY (…) TO STDOUT` of generated rows, counted and dropped. The rows are md5 hex text
 * (64 kB each, longer than deflate's 32 kB window) rather than `repeat('x')`, so a compressing
 * link (SSL compression, a compressing VPN or proxy) cannot make the probe look faster than table
 * data would be. The probe stops at {@link PROBE_MAX_BYTES} or {@link PROBE_MS}, whichever comes
 * first, so the precheck stays fast: a COPY cannot be stopped midway without breaking the
 * connection, so each next COPY is sized from the rate so far to end within the time left.
 */
import type pg from 'pg'
import pgCopy from 'pg-copy-streams'

/** At most this much is streamed (a 10 Gbit/s link sends it in ~25 ms). */
export const PROBE_MAX_BYTES = 32 * 1024 * 1024
/** The probe aims to end within this many milliseconds (a slow first COPY may overrun it). */
export const PROBE_MS = 1500
/** The first COPY: small, so a slow link (≈ 200 kB/s) still ends it within the time. */
export const PROBE_FIRST_BYTES = 256 * 1024
/** One generated row: 2048 md5 hex digests and the newline. */
export const PROBE_ROW_BYTES = 2048 * 32 + 1
/** Bound on the number of COPYs, each costing a round trip. */
const MAX_COPIES = 8
/** A next COPY aims at this share of the time left, so a small drop in rate still ends in time. */
const TIME_SHARE = 0.8

/** What one probe measured. */
export interface BandwidthSample {
  /** Bytes received, over all COPYs. */
  readonly bytes: number
  /** Seconds the probe took, over all COPYs. */
  readonly seconds: number
  /**
   * The rate: over the COPYs after the first when there are any (the first pays the connection's
   * warm-up: TCP slow start, the query's round trip), else over the first.
   */
  readonly bytesPerSecond: number
}

/**
 * Bytes for the next COPY, or 0 to stop. `bytes`/`ms` are what the COPYs so far received and
 * took; `msLeft` is the time left of {@link PROBE_MS}.
 */
export function nextProbeBytes(
  bytes: number,
  ms: number,
  msLeft: number,
  maxBytes = PROBE_MAX_BYTES,
): number {
  if (bytes === 0) return Math.min(PROBE_FIRST_BYTES, maxBytes)
  const room = maxBytes - bytes
  if (room <= 0 || msLeft <= 0) return 0
  const fits = Math.floor((bytes / Math.max(ms, 1)) * msLeft * TIME_SHARE)
  const next = Math.min(room, fits)
  return next < PROBE_ROW_BYTES ? 0 : next
}

/** Stream about `bytes` of generated rows from the source; the bytes received. */
async function copyBytes(client: pg.Client, major: number, bytes: number): Promise<number> {
  const rows = Math.max(1, Math.round(bytes / PROBE_ROW_BYTES))
  // COPY takes no parameters; `rows` is an integer computed here. A materialized CTE sent 32 MB
  // in about 80 ms on loopback against about 110 ms for the same row as a subquery (16); before 12 every CTE
  // is materialized and the keyword does not exist.
  const sql = `COPY (WITH s AS ${major >= 12 ? 'MATERIALIZED ' : ''}(SELECT string_agg(md5(i::text), '') AS b FROM generate_series(1, 2048) i) SELECT b FROM s, generate_series(1, ${rows})) TO STDOUT`
  let received = 0
  for await (const chunk of client.query(pgCopy.to(sql)) as AsyncIterable<Buffer>)
    received += chunk.length
  return received
}

/**
 * Measure the source's send rate to this process over `client` (idle, on a server of version
 * `major`), streaming at most `maxBytes` (defaults to {@link PROBE_MAX_BYTES}). Rejects when a
 * COPY fails; the client stays usable (the error ends the COPY as any query error does).
 */
export async function measureBandwidth(
  client: pg.Client,
  major: number,
  options: { readonly signal?: AbortSignal; readonly maxBytes?: number } = {},
): Promise<BandwidthSample> {
  const { signal, maxBytes = PROBE_MAX_BYTES } = options
  const start = performance.now()
  let bytes = 0
  let ms = 0
  let firstBytes = 0
  let firstMs = 0
  for (let copies = 0; copies < MAX_COPIES && signal?.aborted !== true; copies++) {
    const next = nextProbeBytes(bytes, ms, start + PROBE_MS - performance.now(), maxBytes)
    if (next === 0) break
    const t0 = performance.now()
    const got = await copyBytes(client, major, next)
    const took = performance.now() - t0
    if (copies === 0) {
      firstBytes = got
      firstMs = took
    }
    bytes += got
    ms += took
  }
  const restBytes = bytes - firstBytes
  const restMs = ms - firstMs
  const rate =
    restBytes > 0
      ? restBytes / (Math.max(restMs, 0.001) / 1000)
      : firstBytes / (Math.max(firstMs, 0.001) / 1000)
  return { bytes, seconds: ms / 1000, bytesPerSecond: rate }
}
