import { schemaSuite } from '../fixtures/schema/schema-suite.js'

schemaSuite(16, 16)
