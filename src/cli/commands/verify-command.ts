/**
 * `pgferry verify ID`: compare the target with the source and print every difference with its
 * key. Exit 0 when equal, 1 on a difference.
 */
import { openTask, type VerifyMode, type VerifyReport } from '../../index.js'
import { cliConnection } from '../cli-connection.js'
import type { Command } from '../command-context.js'
import { EXIT } from '../exit-codes.js'
import { formatBytes, formatSeconds } from '../format-units.js'
import { progressBar } from '../progress-bar.js'
import { resolveTaskId } from '../reopen-options.js'
import { UsageError } from '../usage-error.js'

const MODES: readonly VerifyMode[] = ['checksum', 'sample', 'count']

/** Progress lines on a plain (non-TTY) output at most this often. */
const PLAIN_EVERY_MS = 5000

/** `pgferry verify ID --source URL --target URL [--mode M] [--sample PCT] [--tables …] [--json]`. */
export const verifyCommand: Command = async ({ id, flags, out, secrets }) => {
  const source = cliConnection('source', flags.string('source'), secrets, 'verify')
  const target = cliConnection('target', flags.string('target'), secrets, 'verify')
  const mode = (flags.string('mode') ?? 'checksum') as VerifyMode
  if (!MODES.includes(mode))
    throw new UsageError(`--mode ${mode}: use checksum, sample or count`, 'verify')
  const sampleText = flags.string('sample')
  const sample = sampleText === undefined ? undefined : Number(sampleText)
  if (sample !== undefined && !(sample > 0 && sample <= 100))
    throw new UsageError(`--sample ${sampleText ?? ''}: a percentage in (0, 100]`, 'verify')
  const tables = flags.list('tables')
  const task = await openTask(await resolveTaskId(id ?? '', target, 'verify'), { source, target })
  let lastPlain = 0
  const onProgress = (e: {
    tables: number
    tablesDone: number
    chunks: number
    chunksDone: number
    bytesHashed: number
    etaMs: number | null
  }): void => {
    const pct = e.chunks === 0 ? 0 : (100 * e.chunksDone) / e.chunks
    const now = Date.now()
    const plain = now - lastPlain >= PLAIN_EVERY_MS
    if (plain) lastPlain = now
    if (out.json) return
    out.status(
      `verify ${progressBar(pct)} tables ${e.tablesDone}/${e.tables}, chunks ${e.chunksDone}/${e.chunks}, ${formatBytes(e.bytesHashed)} hashed${e.etaMs === null ? '' : `, ETA ${formatSeconds(e.etaMs / 1000)}`}`,
      plain,
    )
  }
  task.on('verify:progress', onProgress)
  try {
    const report = await task.verify({
      mode,
      ...(sample !== undefined ? { sample } : {}),
      ...(tables.length > 0 ? { tables } : {}),
    })
    out.clearStatus()
    if (out.json) out.jsonLine('verify', report)
    else printReport(report, out.line.bind(out))
    return report.equal ? EXIT.OK : EXIT.FAILED
  } finally {
    task.off('verify:progress', onProgress)
    await task.close()
  }
}

function printReport(report: VerifyReport, line: (text: string) => void): void {
  for (const t of report.tables) {
    const rows =
      t.sourceRows === t.targetRows
        ? `${t.sourceRows} rows`
        : `source ${t.sourceRows} rows, target ${t.targetRows}`
    const how =
      report.mode === 'count'
        ? ''
        : `, ${t.chunksChecked}/${t.chunks} chunks${t.keyed ? '' : ', no key: compared as a multiset (slower)'}`
    line(
      `${t.status === 'equal' ? 'equal    ' : 'DIFFERENT'} ${t.database}: ${t.table} (${rows}${how})`,
    )
    for (const d of t.differences) {
      const key = Object.entries(d.key)
        .map(([k, v]) => `${k}=${v ?? 'NULL'}`)
        .join(', ')
      const counts =
        d.sourceCount === undefined
          ? ''
          : ` (source ${d.sourceCount}×, target ${d.targetCount ?? 0}×)`
      line(`  ${d.kind} ${key}${counts}`)
      if (d.kind === 'changed') {
        line(`    source: ${JSON.stringify(d.source)}`)
        line(`    target: ${JSON.stringify(d.target)}`)
      }
    }
    if (t.differenceCount > t.differences.length)
      line(`  … and ${t.differenceCount - t.differences.length} more`)
  }
  const differing = report.tables.filter((t) => t.status !== 'equal').length
  line(
    report.equal
      ? `verify ${report.mode}: ${report.tables.length} tables equal (${formatSeconds(report.durationMs / 1000)})`
      : `verify ${report.mode}: ${differing} of ${report.tables.length} tables differ`,
  )
}
