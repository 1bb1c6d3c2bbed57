/* Generated from reelq's /openapi.json by `npm run gen:types`; do not edit. A test fails when it drifts. */
import type { Schemas1 } from "./components/schemas-1.gen.js";
import type { Schemas2 } from "./components/schemas-2.gen.js";
export interface components {
    schemas: Schemas1 & Schemas2;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
