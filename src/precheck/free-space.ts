/**
 * Item `target.free-space`: the target needs at least 1.2 × the size of what is migrated (dead
 * tuples from the incremental sync grow it). PostgreSQL has no function that reports free disk
 * space (pg_ls_dir / pg_stat_file see files, not the file system's free blocks), so unless the
 * caller measured it (`precheck({ targetFreeBytes })`), this item warns with the figure to check —
 * never a silent pass.
 */
import { readSettings } from '../catalog/settings.js'
import { found, passed } from './precheck-item.js'
import { migratedBytes, type PrecheckInput } from './precheck-input.js'
import { FREE_SPACE_FACTOR } from './precheck-items.js'
import type { PrecheckItem } from './precheck-report.js'

const ID = 'target.free-space'
const TITLE = `target has free space for ${FREE_SPACE_FACTOR} × what is migrated`

/** `1.5 GB`, for messages. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[u]}`
}

export async function checkFreeSpace(input: PrecheckInput): Promise<PrecheckItem> {
  const total = migratedBytes(input)
  const needed = Math.ceil(total * FREE_SPACE_FACTOR)
  const what = input.copiesData
    ? `${formatBytes(total)} migrated (table, index and TOAST size on the source), so ${formatBytes(needed)} needed`
    : `a '${input.type}' task copies no data`
  if (!input.copiesData || needed === 0) return passed(ID, TITLE, what)
  if (input.targetFreeBytes !== undefined) {
    if (input.targetFreeBytes >= needed)
      return passed(
        ID,
        TITLE,
        `${what}; ${formatBytes(input.targetFreeBytes)} free (as measured by the caller)`,
      )
    return found(
      ID,
      TITLE,
      'fail',
      `${what}; only ${formatBytes(input.targetFreeBytes)} free on the target (as measured by the caller)`,
      `free or add at least ${formatBytes(needed - input.targetFreeBytes)} on the target's data disk`,
      [String(needed)],
    )
  }
  const dir = (await readSettings(input.target, ['data_directory'])).get('data_directory')?.setting
  return found(
    ID,
    TITLE,
    'warn',
    `${what}; the free disk space of the target could not be read (PostgreSQL does not report it)`,
    {
      fix: `check that at least ${formatBytes(needed)} (${needed} bytes) is free on the target's disk${dir === undefined ? '' : ` (df -B1 ${dir})`}, then pass precheck({ targetFreeBytes }) to turn this into a pass or fail`,
      cliFix: `check that at least ${formatBytes(needed)} (${needed} bytes) is free on the target's disk${dir === undefined ? '' : ` (df -B1 ${dir})`}, then pass --target-free-bytes BYTES to turn this into a pass or fail`,
    },
    [String(needed)],
  )
}
