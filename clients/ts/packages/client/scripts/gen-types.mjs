import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { genDir, generatedTypes } from "./openapi.mjs";

const files = await generatedTypes();
rmSync(join(genDir, "openapi"), { recursive: true, force: true }); // no file of an older layout stays
for (const [name, text] of files) {
  mkdirSync(dirname(join(genDir, name)), { recursive: true });
  writeFileSync(join(genDir, name), text);
}
console.log(`wrote ${[...files.keys()].join(", ")} in ${genDir}`);
