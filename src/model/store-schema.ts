/**
 * The name of pgferry's schema in a PostgreSQL database. A constant of the model, not of the store
 * folder, because layers below the stages need it too: the catalog leaves this schema out of every
 * selection, and the exactly-once tables of the full load and the apply live in it on the target.
 */

/**
 * The schema {@link PgStore} keeps its tables in unless `PgStoreOptions.schema` names another.
 * @public
 */
export const DEFAULT_STORE_SCHEMA = 'pgferry'
