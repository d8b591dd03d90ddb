// Compiles every JSON Schema under a folder (berth's `schemas/` by default) with
// ajv in strict mode, every strict option on, and ajv-formats for the standard
// formats, so a keyword or format that only schemars knows is an error.
//
// Prints `compiled <name>` for each schema that loads and `refused <name>: <why>`
// for each that does not; exits 1 if any was refused, 2 if there was none.

import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const here = fileURLToPath(new URL(".", import.meta.url));
const root = resolve(process.argv[2] ?? join(here, "..", "..", "schemas"));

function schemaFiles(folder) {
  return readdirSync(folder, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return schemaFiles(path);
      return entry.isFile() && entry.name.endsWith(".json") ? [path] : [];
    })
    .sort();
}

function strictAjv() {
  const ajv = new Ajv2020({
    strict: true,
    strictSchema: true,
    strictNumbers: true,
    strictTypes: true,
    strictTuples: true,
    strictRequired: true,
    validateFormats: true,
  });
  addFormats(ajv);
  return ajv;
}

const files = schemaFiles(root);
if (files.length === 0) {
  console.error(`no schemas under ${root}`);
  process.exit(2);
}
let refused = 0;
for (const file of files) {
  const name = relative(root, file);
  try {
    strictAjv().compile(JSON.parse(readFileSync(file, "utf8")));
    console.log(`compiled ${name}`);
  } catch (error) {
    refused += 1;
    console.log(`refused ${name}: ${error.message}`);
  }
}
process.exit(refused === 0 ? 0 : 1);
