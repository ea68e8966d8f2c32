// Validates Kubernetes manifests against the Kubernetes API schema, twice:
//  1. kubernetes-models' validate(): the JSON schema of each kind (types, enums, required
//     fields, formats), generated from the Kubernetes OpenAPI definitions;
//  2. the TypeScript compiler over the same objects typed with kubernetes-models' interfaces:
//     its excess-property check rejects a field the schema does not have (a typo such as
//     `concurencyPolicy`), which the JSON schema, open to unknown fields, lets through.
// Usage: node validate.mjs FILE.yaml...   Prints each document as JSON (one line:
// {"file", "index", "document"}), then "ok" or the errors; exits 1 on any error.
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import ts from "typescript";

const here = dirname(fileURLToPath(import.meta.url));
// apiVersion/kind → the kubernetes-models module and its interface.
const kinds = {
  "batch/v1/CronJob": ["kubernetes-models/batch/v1/CronJob", "ICronJob"],
  "batch/v1/Job": ["kubernetes-models/batch/v1/Job", "IJob"],
  "v1/PersistentVolumeClaim": ["kubernetes-models/v1/PersistentVolumeClaim", "IPersistentVolumeClaim"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "ISecret"],
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "IConfigMap"],
  "v1/ServiceAccount": ["kubernetes-models/v1/ServiceAccount", "IServiceAccount"],
};

const errors = [];
const typed = [];
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length) {
      errors.push(`${file}: document ${index}: ${doc.errors.map((e) => e.message).join("; ")}`);
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;
    console.log(JSON.stringify({ file, index, document: object }));
    const key = `${object.apiVersion}/${object.kind}`;
    const where = `${file}: document ${index} (${key} ${object.metadata?.name ?? "?"})`;
    const entry = kinds[key];
    if (!entry) {
      errors.push(`${where}: no schema known for ${key}`);
      continue;
    }
    const module = await import(entry[0]);
    const Model = module[object.kind];
    try {
      new Model(object).validate();
    } catch (error) {
      errors.push(`${where}: ${error.message}`);
    }
    typed.push({ where, entry, object });
  }
}

if (typed.length) {
  // One .ts file beside node_modules, so that the compiler resolves kubernetes-models.
  const work = mkdtempSync(join(here, "check-"));
  const source = join(work, "manifests.ts");
  const imports = [...new Set(typed.map(({ entry }) => entry))]
    .map(([module, name]) => `import type { ${name} } from "${module}";`).join("\n");
  const consts = typed.map(({ entry, object }, i) =>
    `export const doc${i}: ${entry[1]} = ${JSON.stringify(object, null, 2)};`).join("\n");
  writeFileSync(source, `${imports}\n${consts}\n`);
  const program = ts.createProgram([source], {
    strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16,
  });
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    let where = "";
    if (d.file && d.start !== undefined) {
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      const before = d.file.text.slice(0, d.start);
      const n = (before.match(/export const doc(\d+)/g) || []).length - 1;
      where = n >= 0 ? `${typed[n].where} (manifests.ts:${line + 1}): ` : "";
    }
    errors.push(`${where}${text}`);
  }
  rmSync(work, { recursive: true, force: true });
}

if (errors.length) {
  for (const e of errors) console.log(`error: ${e}`);
  process.exit(1);
}
console.log("ok");
