// `@execlayer/mcp`: `xpol mcp`, a policy-enforcing MCP proxy. Every tools/call and resources/read is decided by the
// policy before it reaches the upstream server; `startProxy` runs it in a process of your own.
export { startProxy } from "./proxy.ts";
export type { ProxyOptions, RunningProxy } from "./proxy.ts";
export { Governor, RESOURCE_READ_TOOL } from "./governor.ts";
export { LocalDecider, RemoteDecider } from "./decider.ts";
export type { Decider, Decided, RemoteOptions, Watched } from "./decider.ts";
export type { DecisionView, RequestView } from "./results.ts";
export { Upstream, UpstreamUnavailable } from "./upstream.ts";
export type { UpstreamSpec, UpstreamOptions } from "./upstream.ts";
export { DECISION_META_KEY } from "./results.ts";
export { readIdentityFile, readJsonObject } from "./identity.ts";
export type { Identity, Identities } from "./identity.ts";
export { runMcpCommand, MCP_USAGE } from "./cli.ts";
