// docs/schemas/*.json are the one source of truth for the Quote and the stream
// messages. docs/openapi.yaml carries the same schemas under components.schemas
// (named by each file's "title", references rewritten to #/components/schemas/…)
// so that the document the daemon serves at /v1/openapi.json is self-contained.
//
//   node tests/api/sync-openapi.mjs          rewrite those components in docs/openapi.yaml
//   node tests/api/sync-openapi.mjs --check  exit 1 when docs/openapi.yaml is out of date
//
// contract.test.mjs runs the same check.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

export const docsDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs');
export const openapiPath = join(docsDir, 'openapi.yaml');
export const schemasDir = join(docsDir, 'schemas');

// The exact text docs/openapi.yaml must have for a given document: pretty JSON, 2 spaces, final newline.
export function formatDocument(doc) {
  return JSON.stringify(doc, null, 2) + '\n';
}

// { 'quote.json': { name: 'Quote', schema: {...} }, ... }
export function loadSchemaFiles(dir = schemasDir) {
  const out = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const schema = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (typeof schema.title !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(schema.title)) {
      throw new Error(`${file}: "title" must be the component name (letters and digits)`);
    }
    out[file] = { name: schema.title, schema };
  }
  return out;
}

// The components.schemas entries that the schema files give.
export function componentsFromSchemaFiles(files = loadSchemaFiles()) {
  const byFile = new Map(Object.entries(files).map(([file, { name }]) => [file, name]));
  const rewrite = (node, own) => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, own));
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') {
        const hash = v.indexOf('#');
        const file = hash < 0 ? v : v.slice(0, hash);
        const pointer = hash < 0 ? '' : v.slice(hash + 1);
        const target = file === '' ? own : byFile.get(file);
        if (!target) throw new Error(`$ref ${v} names no file in docs/schemas`);
        out[k] = `#/components/schemas/${target}${pointer}`;
      } else {
        out[k] = rewrite(v, own);
      }
    }
    return out;
  };
  const components = {};
  for (const { name, schema } of Object.values(files)) {
    const { $schema, $id, ...rest } = schema;
    components[name] = rewrite(rest, name);
  }
  return components;
}

// The document with the file-derived components put in (others kept, in place).
export function syncedDocument(doc, components = componentsFromSchemaFiles()) {
  const schemas = { ...(doc.components?.schemas ?? {}) };
  for (const [name, schema] of Object.entries(components)) schemas[name] = schema;
  return { ...doc, components: { ...(doc.components ?? {}), schemas } };
}

// Names of components that differ from their schema file (empty when in sync).
export function outOfSync(doc, components = componentsFromSchemaFiles()) {
  return Object.keys(components).filter((name) => !isDeepStrictEqual(doc.components?.schemas?.[name], components[name]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = readFileSync(openapiPath, 'utf8');
  const doc = JSON.parse(text);
  const stale = outOfSync(doc);
  if (process.argv.includes('--check')) {
    if (stale.length || text !== formatDocument(doc)) {
      console.error(`docs/openapi.yaml is out of date (${stale.join(', ') || 'formatting'}): run node tests/api/sync-openapi.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(openapiPath, formatDocument(syncedDocument(doc)));
    console.log(stale.length ? `updated ${stale.join(', ')}` : 'docs/openapi.yaml was up to date');
  }
}
