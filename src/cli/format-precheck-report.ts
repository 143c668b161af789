/**
 * A precheck report as text: one line per item (or only the items that did not pass), with the
 * fix under each failing or warning item (its command-line form, `cliFix`, where it has one).
 */
import type { PrecheckReport } from '../index.js'
import { withCliFix } from './format-error.js'

const MARK = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL', skipped: 'skip' } as const

/** The report's lines; `all` includes passing items. */
export function formatPrecheckReport(report: PrecheckReport, all: boolean): string[] {
  const lines: string[] = []
  for (const item of report.items) {
    if (!all && (item.status === 'pass' || item.status === 'skipped')) continue
    lines.push(`  ${MARK[item.status]} ${item.id}: ${item.message}`)
    if (item.status === 'fail' || item.status === 'warn') {
      const fixes = item.fixes?.map(
        (f) =>
          `${f.sql}  -- on the ${f.side}${f.database === undefined ? '' : `, database ${f.database}`}${f.restart === true ? ', then restart' : ''}`,
      )
      const fixLines =
        fixes !== undefined && fixes.length > 0
          ? fixes
          : ((item.cliFix ?? item.fix)?.split('\n') ?? [])
      for (const [i, fix] of fixLines.entries())
        lines.push(`         ${i === 0 ? 'fix: ' : '     '}${fix}`)
    }
  }
  const count = (s: string): number => report.items.filter((i) => i.status === s).length
  const summary = `${count('pass')} passed, ${count('warn')} warned, ${count('fail')} failed, ${count('skipped')} skipped`
  lines.push(report.ok ? `precheck passed (${summary})` : `precheck FAILED (${summary})`)
  return lines
}

/** The report as a --json line gives it: each item's fix in the command line's words. */
export function cliPrecheckReport(report: PrecheckReport): Record<string, unknown> {
  return { ...report, items: report.items.map(withCliFix) }
}
