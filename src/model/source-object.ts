/**
 * What pgferry creates or changes on the source, as the store records it before it is made
 * (store/source-objects.ts says why and when).
 */

/**
 * The replica identity a table had before pgferry set it to FULL: `d` default, `n` nothing, `i` an
 * index that is gone (which behaves as nothing, so it is restored as NOTHING).
 */
export type OriginalIdentity = 'd' | 'n' | 'i'

/**
 * One object pgferry creates (or changes) on the source.
 * @public
 */
export type SourceObject =
  | { readonly database: string; readonly kind: 'publication'; readonly name: string }
  | { readonly database: string; readonly kind: 'slot'; readonly name: string }
  | {
      readonly database: string
      readonly kind: 'replica-identity'
      /** `schema.table`, for people; the table is found by `oid`. */
      readonly name: string
      readonly oid: number
      readonly schema: string
      readonly table: string
      /** What to restore when the task completes or is deleted. */
      readonly original: OriginalIdentity
    }
