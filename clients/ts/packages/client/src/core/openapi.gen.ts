/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
export type { paths, webhooks } from "./openapi/paths.gen.js";
export type { components, $defs } from "./openapi/components.gen.js";
export type { operations } from "./openapi/operations.gen.js";
