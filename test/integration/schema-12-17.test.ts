import { schemaSuite } from '../fixtures/schema/schema-suite.js'

schemaSuite(12, 17)
