export * from "./diagnostic.ts";
export * from "./source.ts";
export * from "./render.ts";
export * from "./suggest.ts";
export { Diagnostics } from "./catalogue.ts";
