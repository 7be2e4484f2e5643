// The extension libraries every policy's CEL has, beside the standard functions (stdlib.ts).
import type { FunctionDecl } from "../functions.ts";
import { STRING_FUNCTIONS } from "./strings.ts";
import { MATH_FUNCTIONS } from "./math.ts";
import { LIST_FUNCTIONS } from "./lists.ts";
import { ENCODER_FUNCTIONS } from "./encoders.ts";
import { OPTIONAL_FUNCTIONS } from "./optionals.ts";
import { NETWORK_FUNCTIONS } from "./network.ts";
import { URL_FUNCTIONS } from "./urls.ts";
import { REGEX_FUNCTIONS } from "./regex.ts";

export const EXTENSION_FUNCTIONS: readonly FunctionDecl[] = [
  ...STRING_FUNCTIONS,
  ...MATH_FUNCTIONS,
  ...LIST_FUNCTIONS,
  ...ENCODER_FUNCTIONS,
  ...OPTIONAL_FUNCTIONS,
  // the Kubernetes libraries policy authors know from admission policies
  ...NETWORK_FUNCTIONS,
  ...URL_FUNCTIONS,
  ...REGEX_FUNCTIONS,
];
