/**
 * The object selection, normalised: what `resolveObjects` (task/resolve-objects.ts) makes of
 * `'instance'` or a databases → schemas → objects selection. Pure types, and the one constructor
 * that the catalog also needs (a whole schema found when `instance` is read).
 */

/**
 * One selected schema, normalised.
 * @public
 */
export interface ResolvedSchema {
  /** Name on the source. */
  readonly name: string
  /** Name on the target. */
  readonly as: string
  /** Tables (partitioned and foreign ones included) selected by name; undefined: every table. */
  readonly tables: readonly string[] | undefined
  /** Views (and materialized views) selected by name; undefined: every view. */
  readonly views: readonly string[] | undefined
  /** Sequences selected by name; undefined: every sequence. */
  readonly sequences: readonly string[] | undefined
  /** Functions selected by name; undefined: every function. */
  readonly functions: readonly string[] | undefined
  /** Relation names left out of the schema; empty when none. */
  readonly exclude: readonly string[]
  /** True when no list was given: the whole schema. */
  readonly whole: boolean
}

/**
 * One selected database, normalised.
 * @public
 */
export interface ResolvedDatabase {
  /** Name on the source. */
  readonly name: string
  /** Name on the target. */
  readonly as: string
  /** `undefined`: every non-system schema. */
  readonly schemas: readonly ResolvedSchema[] | undefined
}

/**
 * The selection, normalised. For `instance`, `databases` is undefined until the catalog is read.
 * @public
 */
export interface ResolvedObjects {
  /**
   * `instance`: every database, role and object; `selection`: the databases named (or the source
   * connection's database when `objects` was left out).
   */
  readonly mode: 'instance' | 'selection'
  /** The selected databases; undefined for `instance` until the catalog is read. */
  readonly databases: readonly ResolvedDatabase[] | undefined
  /**
   * Whether the selection is widened by what it depends on; always true for `instance`, default
   * false otherwise.
   */
  readonly includeDependencies: boolean
}

/** A whole schema, kept under its own name. */
export function wholeSchema(name: string): ResolvedSchema {
  return Object.freeze({
    name,
    as: name,
    tables: undefined,
    views: undefined,
    sequences: undefined,
    functions: undefined,
    exclude: [],
    whole: true,
  })
}
