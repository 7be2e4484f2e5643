// src/format: the `.xpol` formatter (`xpol fmt`).
export { formatPolicy, WIDTH, type FormatResult } from "./format.ts";
export { astEqual, withoutPositions } from "./ast-equal.ts";
