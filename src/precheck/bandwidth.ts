/**
 * Item `source.bandwidth`: the data the task copies should cross from the source to this process
 * within `precheck({ maxTransferSeconds })`, at the rate measured now on the precheck's own source
 * connection (measure-bandwidth.ts: at most ~1.5 s, and no more bytes than the task copies, since a
 * probe as large as the data is the copy itself). A warn at most: a slow link makes the copy
 * long — the source holds the copy's snapshot (and an incremental task's slot retains WAL) for as
 * long — but does not make it wrong. A probe that fails warns too, naming the error.
 */
import { messageOf } from '../errors.js'
import { formatBytes } from './free-space.js'
import {
  PROBE_FIRST_BYTES,
  PROBE_MAX_BYTES,
  measureBandwidth,
  type BandwidthSample,
} from './measure-bandwidth.js'
import { found, passed } from './precheck-item.js'
import { migratedBytes, type PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'source.bandwidth'
const TITLE = 'the source sends data fast enough for the copy'

/** `850.2 MB/s`, for messages. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`
}

/** `0.4 s`, `52 s`, `3 h 12 min`, for messages. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'forever'
  if (s < 10) return `${s.toFixed(1)} s`
  if (s < 120) return `${Math.round(s)} s`
  const min = Math.round(s / 60)
  return min < 120 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`
}

/** The estimated transfer time of `bytes` at `bytesPerSecond`, and whether it fits `maxSeconds`. */
export function transferVerdict(
  bytes: number,
  bytesPerSecond: number,
  maxSeconds: number,
): { readonly seconds: number; readonly withinBudget: boolean } {
  const seconds = bytes === 0 ? 0 : bytesPerSecond > 0 ? bytes / bytesPerSecond : Infinity
  return { seconds, withinBudget: seconds <= maxSeconds }
}

export async function checkBandwidth(input: PrecheckInput): Promise<PrecheckItem> {
  if (!input.copiesData)
    return passed(ID, TITLE, `not measured: a '${input.type}' task copies no data`)
  const bytes = migratedBytes(input)
  if (bytes === 0) return passed(ID, TITLE, 'not measured: the selection holds no data to copy')
  let sample: BandwidthSample
  try {
    sample = await measureBandwidth(input.source, input.sourceVersion.major, {
      signal: input.ctx.signal,
      // sending more than the task copies proves nothing more: the copy itself would be done
      maxBytes: Math.min(PROBE_MAX_BYTES, Math.max(PROBE_FIRST_BYTES * 2, bytes)),
    })
  } catch (error) {
    return found(
      ID,
      TITLE,
      'warn',
      `the source's send rate could not be measured: ${messageOf(error)}`,
      {
        fix: `check the source connection (a COPY (SELECT …) TO STDOUT failed on it), or skip '${ID}' with precheck({ skip }) to go on without the estimate`,
        cliFix: `check the source connection (a COPY (SELECT …) TO STDOUT failed on it), or pass --skip ${ID} to go on without the estimate`,
      },
    )
  }
  const cap = input.ctx.config.throttle?.bytesPerSecond
  const capped = cap !== undefined && cap < sample.bytesPerSecond
  const rate = capped ? cap : sample.bytesPerSecond
  const { seconds, withinBudget } = transferVerdict(bytes, rate, input.maxTransferSeconds)
  const measured = `measured ${formatRate(sample.bytesPerSecond)} from the source to this process on one connection (${formatBytes(sample.bytes)} in ${formatSeconds(sample.seconds)})${capped ? `, capped by throttle.bytesPerSecond to ${formatRate(cap)}` : ''}`
  const estimate = `${formatBytes(bytes)} to copy (on-disk size of the selected tables, indexes and TOAST) takes about ${formatSeconds(seconds)} at that rate`
  const budget = `maxTransferSeconds = ${input.maxTransferSeconds}`
  if (withinBudget) return passed(ID, TITLE, `${measured}; ${estimate}, within ${budget}`)
  return found(
    ID,
    TITLE,
    'warn',
    `${measured}; ${estimate}, more than ${budget}: the source holds the copy's snapshot (vacuum cannot remove rows dead since it began)${input.incremental ? ' and the replication slot retains WAL' : ''} for that long`,
    {
      fix: `${capped ? 'raise throttle.bytesPerSecond if the source can take it, or ' : ''}run the task on a host closer to the source or with a faster link to it (more parallelism helps only when one connection is held back by latency, not when the link is saturated); to accept the longer copy, raise precheck({ maxTransferSeconds }) or skip '${ID}' with precheck({ skip })`,
      cliFix: `${capped ? 'raise --throttle if the source can take it, or ' : ''}run the task on a host closer to the source or with a faster link to it (more --parallelism helps only when one connection is held back by latency, not when the link is saturated); to accept the longer copy, pass --skip ${ID}`,
    },
    [formatRate(rate)],
  )
}
