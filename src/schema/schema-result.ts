/**
 * What `migrateSchema` returns.
 * @public
 */
export interface SchemaResult {
  /** Objects created in this call, per kind. */
  readonly created: Readonly<Record<string, number>>
  /** Objects found already created by an earlier (interrupted) run. */
  readonly alreadyDone: number
  /** Source objects pgferry could not create, by name, with the reason. Never silently dropped. */
  readonly unsupported: readonly { readonly object: string; readonly reason: string }[]
}
