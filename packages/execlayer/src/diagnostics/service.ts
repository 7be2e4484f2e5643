// The catalogue entries the HTTP decision service (`@execlayer/server`, `xpol serve`) answers with: a narrow public
// view of the one catalogue, so the service speaks the same stable codes without the whole catalogue (which every
// stage appends to) becoming public API.
import { Diagnostics } from "./catalogue.ts";
import type { DiagnosticDef } from "./diagnostic.ts";

export interface ServiceDiagnosticCatalogue {
  /** XP4001: a body that is not JSON */
  readonly malformedJson: DiagnosticDef<[what: string]>;
  /** XP4003: a body over the limit */
  readonly payloadTooLarge: DiagnosticDef<[size: string, limit: number]>;
  readonly unsupportedMediaType: DiagnosticDef<[found: string, expected: string]>;
  readonly invalidRequest: DiagnosticDef<[what: string]>;
  readonly unauthenticated: DiagnosticDef<[why: string]>;
  readonly forbidden: DiagnosticDef<[role: string, needed: string]>;
  readonly notFound: DiagnosticDef<[what: string]>;
  readonly timeout: DiagnosticDef<[]>;
  readonly tooManyRequests: DiagnosticDef<[what: string]>;
  readonly unavailable: DiagnosticDef<[why: string]>;
  readonly reloadRefused: DiagnosticDef<[why: string]>;
  readonly refusedConfig: DiagnosticDef<[why: string]>;
  /** XP8210: a package the service needs (`@execlayer/postgres` for --postgres) is not installed */
  readonly notInstalled: DiagnosticDef<[pkg: string]>;
  /** XP5011: an approval request id the store does not know */
  readonly unknownApprovalRequest: DiagnosticDef<[id: string]>;
  /** XP5004 and XP5023: the denies of a store that cannot record (counted as store errors) */
  readonly storeUnavailable: DiagnosticDef<[why: string]>;
  readonly storeClosed: DiagnosticDef<[]>;
}

export const ServiceDiagnostics: ServiceDiagnosticCatalogue = {
  malformedJson: Diagnostics.irMalformedJson,
  payloadTooLarge: Diagnostics.irPayloadTooLarge,
  unsupportedMediaType: Diagnostics.serviceUnsupportedMediaType,
  invalidRequest: Diagnostics.serviceInvalidRequest,
  unauthenticated: Diagnostics.serviceUnauthenticated,
  forbidden: Diagnostics.serviceForbidden,
  notFound: Diagnostics.serviceNotFound,
  timeout: Diagnostics.serviceTimeout,
  tooManyRequests: Diagnostics.serviceTooManyRequests,
  unavailable: Diagnostics.serviceUnavailable,
  reloadRefused: Diagnostics.serviceReloadRefused,
  refusedConfig: Diagnostics.serviceRefusedConfig,
  notInstalled: Diagnostics.serviceNotInstalled,
  unknownApprovalRequest: Diagnostics.approvalUnknownRequest,
  storeUnavailable: Diagnostics.storeUnavailable,
  storeClosed: Diagnostics.storeClosed,
};
