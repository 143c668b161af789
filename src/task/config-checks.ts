/**
 * Shared pieces of config validation: every error names the field and the fix.
 */
import { PgferryError } from '../errors.js'

export function invalid(field: string, problem: string, fix: string): PgferryError {
  return new PgferryError('PGFERRY_CONFIG_INVALID', `config.${field}: ${problem}`, { fix })
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

export function nonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0
}
