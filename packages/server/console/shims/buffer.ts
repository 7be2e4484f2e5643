// Buffer in the browser (the core's byte helpers use it for hex and base64): the `buffer` package, injected.
export { Buffer } from "buffer";
