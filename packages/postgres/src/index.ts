// `@execlayer/postgres`: PostgreSQL as the shared state store of a fleet of ExecLayer runtime replicas.
export { PostgresStore, migrate, describeTarget } from "./store.ts";
export { SCHEMA_VERSION } from "./schema.ts";
export { ChainReader, exportChains, verifyChains } from "./fleet.ts";
export type { PostgresStoreOptions, PostgresStoreStats } from "./store.ts";
export type { MigrateResult } from "./schema.ts";
export type { ChainExport, ChainIdentity, ChainInfo, ExportResult, ChainVerdict, VerifyChainsResult, VerifyChainsOptions } from "./fleet.ts";
