/**
 * Building items: every warn/fail names its objects and carries its fix both as text (`fix`) and as
 * statements with where to run them (`fixes`).
 */
import { redact } from '../redact.js'
import type { PrecheckFix, PrecheckItem, PrecheckStatus } from './precheck-report.js'
import type { PrecheckItemId } from './precheck-items.js'

/** A passing item; `message` says what was found (or why the item does not apply). */
export function passed(id: PrecheckItemId, title: string, message: string): PrecheckItem {
  return { id, title, status: 'pass', message }
}

/** One fix per statement, all to run in the same place. */
export function statements(
  side: PrecheckFix['side'],
  database: string | undefined,
  sql: readonly string[],
  restart = false,
): PrecheckFix[] {
  return sql.map((s) => ({
    side,
    ...(database !== undefined ? { database } : {}),
    sql: s,
    ...(restart ? { restart } : {}),
  }))
}

/** The text form of a list of fixes: statements grouped under a comment saying where to run them. */
export function fixText(fixes: readonly PrecheckFix[]): string {
  const out: string[] = []
  let where = ''
  for (let i = 0; i < fixes.length; i++) {
    const f = fixes[i] as PrecheckFix
    const here = `-- on the ${f.side}${f.database === undefined ? '' : `, in database ${JSON.stringify(f.database)}`}:`
    if (here !== where) out.push(here)
    where = here
    out.push(f.sql)
    const next = fixes[i + 1]
    const groupEnds = next === undefined || next.side !== f.side || next.database !== f.database
    if (
      groupEnds &&
      fixes.some((x) => x.restart === true && x.side === f.side && x.database === f.database)
    )
      out.push(`-- restart required: restart the ${f.side} server for this to take effect`)
  }
  return out.join('\n')
}

/** A sentence of fix for library callers, and the same in the words of the command line. */
export interface FixTexts {
  readonly fix: string
  readonly cliFix: string
}

/**
 * A warn or fail item. `fix` is statements to run, or a sentence when no SQL can help, or (when
 * that sentence names a library option) the sentence with its command-line form.
 */
export function found(
  id: PrecheckItemId,
  title: string,
  status: Exclude<PrecheckStatus, 'pass' | 'skipped'>,
  message: string,
  fix: readonly PrecheckFix[] | string | FixTexts,
  objects?: readonly string[],
): PrecheckItem {
  const texts = isFixTexts(fix) ? fix : undefined
  const given = texts === undefined ? (fix as readonly PrecheckFix[] | string) : texts.fix
  // a role or object name can never carry a password, but redact() is the one rule for every text out
  const clean = typeof given === 'string' ? given : given.map((f) => ({ ...f, sql: redact(f.sql) }))
  const text = typeof clean === 'string' ? clean : fixText(clean)
  return {
    id,
    title,
    status,
    message: redact(message),
    fix: redact(text),
    ...(texts === undefined ? {} : { cliFix: redact(texts.cliFix) }),
    ...(typeof clean === 'string' || clean.length === 0 ? {} : { fixes: clean }),
    ...(objects !== undefined && objects.length > 0 ? { objects } : {}),
  }
}

/** `a, b, c` — at most `max` names, then `… and N more`. */
export function listNames(names: readonly string[], max = 20): string {
  if (names.length <= max) return names.join(', ')
  return `${names.slice(0, max).join(', ')} … and ${names.length - max} more`
}

function isFixTexts(fix: readonly PrecheckFix[] | string | FixTexts): fix is FixTexts {
  return typeof fix === 'object' && !Array.isArray(fix)
}
