// The CEL runtime's public surface: values, errors, JSON conversion, the standard library's declarations.
export {
  CelDuration,
  CelMap,
  CelRecord,
  CelTimestamp,
  CelTypeValue,
  CelUint,
  celEquals,
  celUint,
  compareValues,
  displayValue,
  typeOf,
  type CelResult,
  type CelValue,
} from "./values.ts";
export { CelError, celErrors, isCelError, type CelErrorKind } from "./errors.ts";
export { fromJson, toJson, type FromJsonOptions, type JsonValue as CelJsonValue } from "./json.ts";
export { parseDuration, parseTimestamp, formatDuration, formatTimestamp } from "./time.ts";
export { STANDARD_FUNCTIONS, type FunctionDecl, type Overload, type OverloadImpl } from "./stdlib.ts";
