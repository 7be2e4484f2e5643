// The extension libraries every policy's CEL has, beside the standard functions (stdlib.ts).
import type { FunctionDecl } from "../stdlib.ts";
import { STRING_FUNCTIONS } from "./strings.ts";
import { MATH_FUNCTIONS } from "./math.ts";
import { LIST_FUNCTIONS } from "./lists.ts";
import { ENCODER_FUNCTIONS } from "./encoders.ts";
import { OPTIONAL_FUNCTIONS } from "./optionals.ts";

export const EXTENSION_FUNCTIONS: readonly FunctionDecl[] = [
  ...STRING_FUNCTIONS,
  ...MATH_FUNCTIONS,
  ...LIST_FUNCTIONS,
  ...ENCODER_FUNCTIONS,
  ...OPTIONAL_FUNCTIONS,
];
