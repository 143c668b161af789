/**
 * The name of pgferry's schema in a PostgreSQL database. A constant of the model, not of the store
 * folder, because layers below the stages need it too: the catalog leaves this schema out of every
 * selection, and a task whose store names no schema keeps its target ledger in a schema of this
 * name (target-ledger.ts; a store with another schema moves the ledger with it).
 */

/**
 * The schema {@link PgStore} keeps its tables in unless `PgStoreOptions.schema` names another.
 * @public
 */
export const DEFAULT_STORE_SCHEMA = 'pgferry'
