/**
 * Item `target.version`: the target's major must be at least the source's (pgferry's DDL is what
 * the source's catalog describes, and an older server may not parse it), and both must be in the
 * range pgferry supports: 10–18 (tested: 12–18). Newer majors are let through with a warning.
 * Minor differences do not matter; the message names both versions.
 */
import { found, passed } from './precheck-item.js'
import type { PrecheckInput } from './precheck-input.js'
import type { PrecheckItem } from './precheck-report.js'

/** Oldest and newest major pgferry supports on either side. @public */
export const SUPPORTED_MAJORS = { oldest: 10, newest: 18 } as const

const ID = 'target.version'
const TITLE = 'versions: target major ≥ source major, both supported'

export async function checkVersion(input: PrecheckInput): Promise<PrecheckItem> {
  const s = input.sourceVersion
  const t = input.targetVersion
  const both = `source ${s.text} (major ${s.major}), target ${t.text} (major ${t.major})`
  const range = `${SUPPORTED_MAJORS.oldest}–${SUPPORTED_MAJORS.newest}`
  const tooOld = [
    ...(s.major < SUPPORTED_MAJORS.oldest ? ['source'] : []),
    ...(t.major < SUPPORTED_MAJORS.oldest ? ['target'] : []),
  ]
  if (tooOld.length > 0)
    return found(
      ID,
      TITLE,
      'fail',
      `${both}: the ${tooOld.join(' and ')} is older than PostgreSQL ${SUPPORTED_MAJORS.oldest} (logical replication and pgferry need ${range})`,
      `upgrade the ${tooOld.join(' and ')} to PostgreSQL ${SUPPORTED_MAJORS.oldest} or newer`,
    )
  if (t.major < s.major)
    return found(
      ID,
      TITLE,
      'fail',
      `${both}: the target's major is older than the source's; objects of PostgreSQL ${s.major} may not be creatable on ${t.major}`,
      `use a target running PostgreSQL ${s.major} or newer`,
    )
  const untested = [
    ...(s.major > SUPPORTED_MAJORS.newest ? ['source'] : []),
    ...(t.major > SUPPORTED_MAJORS.newest ? ['target'] : []),
  ]
  if (untested.length > 0)
    return found(
      ID,
      TITLE,
      'warn',
      `${both}: pgferry supports majors ${range}; the ${untested.join(' and ')} is newer and untested`,
      `check the release notes of pgferry for PostgreSQL ${Math.max(s.major, t.major)} support`,
    )
  const minor = s.num !== t.num ? ` (minor versions differ, which does not matter)` : ''
  return passed(ID, TITLE, `${both}${minor}`)
}
