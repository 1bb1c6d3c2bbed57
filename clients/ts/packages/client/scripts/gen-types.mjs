import { writeFileSync } from "node:fs";
import { genPath, generatedTypes } from "./openapi.mjs";

writeFileSync(genPath, await generatedTypes());
console.log(`wrote ${genPath}`);
