// The API contract: docs/openapi.yaml and docs/schemas/*.json are valid, and the
// real tickerd answers exactly as they say (HTTP, WebSocket and Server-Sent Events).
//
//   node --test tests/api/contract.test.mjs
//
// Environment: TICKERD_BINARY (default <source>/build/tickerd), TICKERD_SOURCE_DIR
// (default: two folders up from here). The daemon runs on 127.0.0.1 with a free
// port, on a temporary copy of config/demo.toml (simulated prices, no network).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import WebSocket from 'ws';

import { componentsFromSchemaFiles, formatDocument, loadSchemaFiles, outOfSync } from './sync-openapi.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = resolve(process.env.TICKERD_SOURCE_DIR || join(here, '../..'));
const binary = process.env.TICKERD_BINARY || join(sourceDir, 'build/tickerd');
const docsDir = join(sourceDir, 'docs');
const openapiPath = join(docsDir, 'openapi.yaml');
const openapiText = readFileSync(openapiPath, 'utf8');
const openapi = JSON.parse(openapiText);
const schemaFiles = loadSchemaFiles(join(docsDir, 'schemas'));
const demoConfig = readFileSync(join(sourceDir, 'config/demo.toml'), 'utf8');

const HEARTBEAT_MS = 500;
const WAIT_MS = 5000; // the longest any single wait in these tests may take
const TEST = { timeout: 30_000 };

// ---------------------------------------------------------------------------
// Schemas

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const schemaFileErrors = [];
for (const [file, { schema }] of Object.entries(schemaFiles)) {
  try {
    ajv.addSchema(schema);
  } catch (e) {
    schemaFileErrors.push(`${file}: ${e.message}`);
  }
}

// OpenAPI component schemas live at #/components/schemas/X; ajv sees them as $defs of one schema.
const OPENAPI_ID = 'urn:tickerd:openapi';
function rebase(node, prefix) {
  if (Array.isArray(node)) return node.map((n) => rebase(n, prefix));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
      ? prefix + v.slice('#/components/schemas/'.length)
      : rebase(v, prefix);
  }
  return out;
}
let openapiSchemasError = null;
try {
  ajv.addSchema({ $id: OPENAPI_ID, $defs: rebase(openapi.components?.schemas ?? {}, '#/$defs/') });
} catch (e) {
  openapiSchemasError = e;
}

const compiled = new Map();
function compile(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(rebase(schema, `${OPENAPI_ID}#/$defs/`)));
  return compiled.get(key);
}
const fileSchema = (file) => ajv.getSchema(file);
const componentSchema = (name) => compile({ $ref: `#/components/schemas/${name}` });

function assertValid(validate, data, what) {
  if (validate(data)) return;
  const errors = validate.errors.map((e) => `  ${e.instancePath || '(root)'} ${e.message} (${e.schemaPath})`).join('\n');
  assert.fail(`${what} does not match its schema:\n${errors}\n  value: ${JSON.stringify(data).slice(0, 1500)}`);
}

// A server→client stream message against stream-message.json and its own type's file.
function assertStreamMessage(data, where) {
  assertValid(fileSchema('stream-message.json'), data, `${where} message`);
  assertValid(fileSchema(`stream-${data.type}.json`), data, `${where} ${data.type} message`);
}

// What the OpenAPI extensions say about the streams.
const wsExtension = () => openapi.paths['/v1/stream']?.get?.['x-tickerd-websocket'] ?? {};
const sseEvents = () => openapi.paths['/v1/events']?.get?.['x-tickerd-sse']?.events ?? {};

// ---------------------------------------------------------------------------
// The OpenAPI document as an oracle for HTTP answers

function pointer(ref) {
  assert.ok(ref.startsWith('#/'), `only local $refs are expected in docs/openapi.yaml, got ${ref}`);
  return ref.slice(2).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, key) => node?.[key], openapi);
}
const deref = (node) => (node && typeof node.$ref === 'string' ? deref(pointer(node.$ref)) : node);
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// The OpenAPI path that a request path falls under (concrete paths first). A path
// parameter may hold a '/', as symbol ids do (/v1/quotes/USD/VND).
function pathTemplate(requestPath) {
  const p = requestPath.split('?')[0];
  if (openapi.paths[p]) return p;
  for (const tpl of Object.keys(openapi.paths)) {
    if (!tpl.includes('{')) continue;
    const re = new RegExp(`^${tpl.split(/\{[^}]+\}/).map(escapeRe).join('([^?]+)')}$`);
    if (re.test(p)) return tpl;
  }
  return null;
}

const observed = new Map(); // "GET /v1/snapshot" -> Set of statuses

// Asserts that the answer is documented: path, method, status, required headers and
// their schemas, content type, and (JSON) the body against the response schema.
// Returns the parsed JSON body, if any.
function assertDocumented(res) {
  const where = `${res.method} ${res.path} -> ${res.status}`;
  const tpl = pathTemplate(res.path);
  assert.ok(tpl, `${where}: the daemon answers ${res.path.split('?')[0]}, which is not in the OpenAPI paths`);
  const method = res.method === 'HEAD' ? 'get' : res.method.toLowerCase(); // HEAD: as GET, no body
  const op = openapi.paths[tpl][method];
  assert.ok(op, `${where}: ${method.toUpperCase()} ${tpl} is not documented`);
  const key = `${method.toUpperCase()} ${tpl}`;
  if (!observed.has(key)) observed.set(key, new Set());
  observed.get(key).add(res.status);
  const doc = deref(op.responses[String(res.status)] ?? op.responses.default);
  assert.ok(doc, `${where}: status ${res.status} is not documented for ${tpl} (documented: ${Object.keys(op.responses).join(', ')})`);
  for (const [name, h] of Object.entries(doc.headers ?? {})) {
    const header = deref(h);
    const value = res.headers[name.toLowerCase()];
    if (value === undefined) {
      assert.ok(!header.required, `${where}: documented required header ${name} is missing`);
      continue;
    }
    if (header.schema) assertValid(compile(header.schema), value, `${where}: header ${name}`);
  }
  if (!doc.content) {
    assert.ok(!res.body, `${where}: no body is documented, got ${JSON.stringify(res.body).slice(0, 200)}`);
    return undefined;
  }
  const ctype = res.headers['content-type'] ?? '';
  const essence = ctype.split(';')[0].trim().toLowerCase();
  const media = Object.keys(doc.content).find((k) => k.split(';')[0].trim().toLowerCase() === essence);
  assert.ok(media, `${where}: Content-Type "${ctype}" is not documented (documented: ${Object.keys(doc.content).join(', ')})`);
  if (res.method === 'HEAD' || res.body === undefined || essence !== 'application/json') return undefined;
  let data;
  try {
    data = JSON.parse(res.body);
  } catch (e) {
    assert.fail(`${where}: body is not JSON (${e.message}): ${res.body.slice(0, 300)}`);
  }
  if (doc.content[media].schema) assertValid(compile(doc.content[media].schema), data, where);
  return data;
}

// Answers that follow the document-wide rules of info.description rather than a path's responses.
function assertErrorBody(res, status) {
  const where = `${res.method} ${res.path} -> ${res.status}`;
  assert.equal(res.status, status, `${where}: expected ${status}: ${res.body}`);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${where}: Content-Type`);
  assertValid(componentSchema('Error'), JSON.parse(res.body), where);
}

// ---------------------------------------------------------------------------
// Loopback clients, each wait bounded

function request(port, path, { method = 'GET', headers = {}, timeoutMs = WAIT_MS } = {}) {
  return new Promise((resolvePromise, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolvePromise({ method, path, status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no complete answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.end();
  });
}

// Messages of one stream, in arrival order, with bounded waits.
class Inbox {
  constructor(name) {
    this.name = name;
    this.all = [];
    this.pending = [];
    this.waiters = [];
    this.closedBecause = null;
  }

  push(message) {
    this.all.push(message);
    this.pending.push(message);
    this.waiters = this.waiters.filter((w) => !w());
  }

  close(reason) {
    this.closedBecause = reason;
    this.waiters = this.waiters.filter((w) => !w());
  }

  next(timeoutMs = WAIT_MS, what = 'a message') {
    return new Promise((resolvePromise, reject) => {
      let timer;
      const take = () => {
        if (this.pending.length) {
          clearTimeout(timer);
          resolvePromise(this.pending.shift());
          return true;
        }
        if (this.closedBecause !== null) {
          clearTimeout(timer);
          reject(new Error(`${this.name}: closed (${this.closedBecause}) while waiting for ${what}`));
          return true;
        }
        return false;
      };
      if (take()) return;
      timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== take);
        reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(take);
    });
  }

  // The next message that satisfies pred; the ones before it are passed over (but stay in .all).
  async until(pred, what, timeoutMs = WAIT_MS) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()), what);
      if (pred(m)) return m;
    }
  }
}

// A WebSocket on /v1/stream. Messages: { raw, data }.
function openStream(port, query = '') {
  const path = `/v1/stream${query}`;
  return new Promise((resolvePromise, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { handshakeTimeout: WAIT_MS });
    const inbox = new Inbox(`ws ${path}`);
    const stream = { ws, inbox, path, upgrade: null, close: null };
    ws.on('upgrade', (res) => {
      stream.upgrade = { method: 'GET', path, status: res.statusCode, headers: res.headers, body: '' };
    });
    ws.on('message', (data, isBinary) => {
      const raw = data.toString('utf8');
      let parsed;
      try {
        parsed = JSON.parse(raw);
      } catch {
        parsed = undefined;
      }
      inbox.push({ raw, data: parsed, binary: isBinary });
    });
    ws.on('close', (code, reason) => {
      stream.close = { code, reason: reason.toString() };
      inbox.close(`close code ${code}`);
    });
    ws.on('open', () => resolvePromise(stream));
    ws.on('error', reject);
    ws.on('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        const err = new Error(`${path}: HTTP ${res.statusCode} instead of 101`);
        err.response = { method: 'GET', path, status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
        reject(err);
      });
    });
  });
}

function closeStream(stream) {
  if (stream.ws.readyState === WebSocket.OPEN || stream.ws.readyState === WebSocket.CONNECTING) stream.ws.terminate();
}

// Every message a WebSocket got: text frames of schema-valid JSON.
function assertStreamMessages(stream) {
  for (const m of stream.inbox.all) {
    assert.equal(m.binary, false, `${stream.path}: binary frame`);
    assert.ok(m.data !== undefined, `${stream.path}: frame is not JSON: ${m.raw.slice(0, 200)}`);
    assertStreamMessage(m.data, `ws ${stream.path}`);
    assertValid(compile(wsExtension().serverMessages), m.data, `ws ${stream.path} (x-tickerd-websocket.serverMessages)`);
  }
}

// An SSE request on /v1/events. Resolves with { response, inbox, retry, close() } once the
// headers are in; events: { event, id, data (text), lines, json }.
function openEvents(port, query = '', headers = {}) {
  const path = `/v1/events${query}`;
  return new Promise((resolvePromise, reject) => {
    const inbox = new Inbox(`sse ${path}`);
    const sse = { inbox, path, retry: undefined, response: null, close: () => req.destroy() };
    const req = http.request({
      host: '127.0.0.1', port, path, method: 'GET', agent: false,
      headers: { Accept: 'text/event-stream', ...headers },
    }, (res) => {
      clearTimeout(timer);
      sse.response = { method: 'GET', path, status: res.statusCode, headers: res.headers, body: undefined };
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => {
          sse.response.body = body;
          resolvePromise(sse);
        });
        return;
      }
      let buffer = '';
      let event = '';
      let id;
      let data = [];
      const line = (text) => {
        if (text === '') {
          if (data.length) {
            const joined = data.join('\n');
            let json;
            try {
              json = JSON.parse(joined);
            } catch {
              json = undefined;
            }
            inbox.push({ event: event || 'message', id, data: joined, lines: data.length, json });
          }
          event = '';
          data = [];
          return;
        }
        if (text.startsWith(':')) return; // comment
        const colon = text.indexOf(':');
        const field = colon < 0 ? text : text.slice(0, colon);
        const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'id') id = value;
        else if (field === 'retry') sse.retry = Number(value);
      };
      res.on('data', (chunk) => {
        buffer += chunk;
        for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
          line(buffer.slice(0, nl).replace(/\r$/, ''));
          buffer = buffer.slice(nl + 1);
        }
      });
      res.on('close', () => inbox.close('connection closed'));
      res.on('error', () => {});
      resolvePromise(sse);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${path}: no response headers within ${WAIT_MS} ms`)), WAIT_MS);
    req.on('error', (e) => {
      clearTimeout(timer);
      if (!sse.response) reject(e);
      else inbox.close(e.message);
    });
    req.end();
  });
}

// Every event an SSE stream got: a known event name, one data line of schema-valid
// JSON whose type is the event name, and id = its seq.
function assertEvents(sse) {
  for (const m of sse.inbox.all) {
    const where = `sse ${sse.path} event ${m.event}`;
    const documented = sseEvents()[m.event];
    assert.ok(documented, `${where}: event name not in x-tickerd-sse.events (${Object.keys(sseEvents()).join(', ')})`);
    assert.equal(m.lines, 1, `${where}: data must be one line of JSON`);
    assert.ok(m.json !== undefined, `${where}: data is not JSON: ${m.data.slice(0, 200)}`);
    assertStreamMessage(m.json, where);
    assertValid(compile(documented), m.json, `${where} (x-tickerd-sse.events.${m.event})`);
    assert.equal(m.json.type, m.event, `${where}: data.type differs from the event name`);
    assert.equal(m.id, String(m.json.seq), `${where}: id differs from data.seq`);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(what, fn, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last.ok) return last.value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${timeoutMs} ms (last: ${last.detail})`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------
// The daemon

// config/demo.toml's symbols, in config order, with their precision.
const configSymbols = demoConfig.split(/^\s*\[\[symbols\]\]\s*$/m).slice(1).map((block) => ({
  id: /^\s*id\s*=\s*"([^"]*)"/m.exec(block)?.[1],
  precision: Number(/^\s*precision\s*=\s*(\d+)/m.exec(block)?.[1] ?? 2),
}));
const configIds = configSymbols.map((s) => s.id);

// demo.toml with a free loopback port and a short heartbeat; optionally a slow sim and a short max_age.
function daemonConfig({ simInterval, maxAge } = {}) {
  let text = demoConfig.replace(/^\s*(listen|heartbeat_interval)\s*=.*$/gm, '');
  const server = `listen = "127.0.0.1:0"\nheartbeat_interval = "${HEARTBEAT_MS}ms"`;
  text = /^\[server\]\s*$/m.test(text) ? text.replace(/^\[server\]\s*$/m, `[server]\n${server}`) : `${text}\n[server]\n${server}\n`;
  if (maxAge) text = text.replace(/^\s*max_age\s*=.*$/gm, '').replace(/^\[\[symbols\]\]\s*$/gm, `[[symbols]]\nmax_age = "${maxAge}"`);
  if (simInterval) {
    // demo.toml uses only the sim provider, so every interval line is the sim's.
    text = text.replace(/^\s*interval\s*=.*$/gm, '').replace(/^\[providers\.sim\]\s*$/m, `[providers.sim]\ninterval = "${simInterval}"`);
  }
  return text;
}

const running = new Set();
process.on('exit', () => {
  for (const d of running) d.proc.kill('SIGKILL');
});

class Daemon {
  static async start(name, configText) {
    assert.ok(existsSync(binary), `no tickerd binary at ${binary} (set TICKERD_BINARY)`);
    const dir = mkdtempSync(join(tmpdir(), `tickerd-api-${name}-`));
    const configPath = join(dir, 'tickerd.toml');
    writeFileSync(configPath, configText);
    const d = new Daemon(name, dir, spawn(binary, ['--config', configPath], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own fresh state dir (removed with `dir`): never another test's state or the user's.
      env: { ...process.env, STATE_DIRECTORY: join(dir, 'state') },
    }));
    running.add(d);
    try {
      d.port = await d.#waitForPort();
    } catch (e) {
      await d.stop();
      throw e;
    }
    return d;
  }

  constructor(name, dir, proc) {
    this.name = name;
    this.dir = dir;
    this.proc = proc;
    this.log = '';
    this.exited = new Promise((r) => proc.on('exit', (code, signal) => {
      running.delete(this);
      r({ code, signal });
    }));
    this.exitStatus = null;
    this.exited.then((s) => { this.exitStatus = s; });
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (c) => { this.log += c; });
    proc.stderr.on('data', (c) => { this.log += c; });
  }

  #waitForPort() {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => done(new Error(`tickerd (${this.name}) did not report its port within 10 s:\n${this.log}`)), 10_000);
      const check = () => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.log);
        if (m) done(null, Number(m[1]));
      };
      const done = (err, port) => {
        clearTimeout(timer);
        this.proc.stderr.off('data', check);
        this.proc.stdout.off('data', check);
        if (err) reject(err);
        else resolvePromise(port);
      };
      this.proc.stderr.on('data', check);
      this.proc.stdout.on('data', check);
      this.exited.then(({ code, signal }) => done(new Error(`tickerd (${this.name}) exited (${code ?? signal}) before listening:\n${this.log}`)));
      check();
    });
  }

  get(path, options) {
    return request(this.port, path, options);
  }

  // SIGTERM, then SIGKILL if it is still there after 5 s. Returns { code, signal }.
  async stop() {
    if (this.exitStatus === null) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), WAIT_MS);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
    return this.exitStatus;
  }
}

// Raw number literals of every quote object in a JSON text (objects holding a "display" object).
function rawQuotes(text) {
  return [...text.matchAll(/\{[^{}]*"display":\{[^{}]*\}[^{}]*\}/g)].map(([chunk]) => {
    const num = (name) => new RegExp(`"${name}":(-?[0-9][0-9.eE+-]*)`).exec(chunk)?.[1];
    return {
      symbol: JSON.parse(/"symbol":("(?:[^"\\]|\\.)*")/.exec(chunk)[1]),
      price: num('price'), ref_price: num('ref_price'), change: num('change'), change_pct: num('change_pct'),
    };
  });
}
const decimals = (literal) => (literal.includes('.') ? literal.split('.')[1].length : 0);

// Prices are printed with exactly the symbol's precision, change_pct with 2 decimals, never with an exponent.
function assertPrecision(text, where) {
  const quotes = rawQuotes(text);
  assert.ok(quotes.length > 0, `${where}: no quote objects found`);
  for (const q of quotes) {
    const sym = configSymbols.find((s) => s.id === q.symbol);
    assert.ok(sym, `${where}: unknown symbol ${q.symbol}`);
    for (const field of ['price', 'ref_price', 'change']) {
      assert.match(q[field], /^-?[0-9]+(\.[0-9]+)?$/, `${where}: ${q.symbol}.${field} = ${q[field]}`);
      assert.equal(decimals(q[field]), sym.precision, `${where}: ${q.symbol}.${field} = ${q[field]} should have ${sym.precision} decimals`);
    }
    assert.match(q.change_pct, /^-?[0-9]+\.[0-9]{2}$/, `${where}: ${q.symbol}.change_pct = ${q.change_pct}`);
  }
}

function assertConfigOrder(quotes, where) {
  const ids = quotes.map((q) => q.symbol);
  const expected = configIds.filter((id) => ids.includes(id));
  assert.deepEqual(ids, expected, `${where}: quotes not in config order`);
}

// ===========================================================================
// Documents

describe('documents', () => {
  test('docs/openapi.yaml is pretty-printed JSON that parses to the same value as YAML', () => {
    assert.equal(openapiText, formatDocument(openapi), 'docs/openapi.yaml must be JSON.stringify(doc, null, 2) plus a newline');
    assert.deepStrictEqual(yaml.load(openapiText, { schema: yaml.CORE_SCHEMA }), openapi, 'YAML 1.2 reading differs from JSON');
    // CMake's configure_file(@ONLY) builds it into the daemon and would replace @NAME@.
    assert.doesNotMatch(openapiText, /@[A-Za-z0-9_]+@/, 'no @NAME@ sequences (configure_file would substitute them)');
  });

  test('docs/openapi.yaml is a valid OpenAPI 3.1 document', async () => {
    assert.equal(openapi.openapi, '3.1.0');
    await SwaggerParser.validate(structuredClone(openapi));
  });

  test('components.schemas holds the docs/schemas files as they are (node tests/api/sync-openapi.mjs)', () => {
    const stale = outOfSync(openapi, componentsFromSchemaFiles(schemaFiles));
    assert.deepEqual(stale, [], `out of date in docs/openapi.yaml: ${stale.join(', ')}; run node tests/api/sync-openapi.mjs`);
  });

  test('every schema compiles with ajv (JSON Schema 2020-12, strict)', () => {
    assert.deepEqual(schemaFileErrors, [], 'docs/schemas files ajv rejects');
    for (const file of Object.keys(schemaFiles)) {
      assert.equal(schemaFiles[file].schema.$schema, 'https://json-schema.org/draft/2020-12/schema', `${file}: $schema`);
      assert.equal(schemaFiles[file].schema.$id, file, `${file}: $id`);
      assert.ok(fileSchema(file), `${file} compiles`);
    }
    for (const file of ['quote.json', 'stream-snapshot.json', 'stream-update.json', 'stream-heartbeat.json',
      'stream-error.json', 'stream-removed.json', 'stream-message.json', 'client-message.json']) {
      assert.ok(schemaFiles[file], `docs/schemas/${file} exists`);
    }
    assert.equal(openapiSchemasError, null, `components.schemas: ${openapiSchemasError?.message}`);
    for (const name of Object.keys(openapi.components.schemas)) assert.ok(componentSchema(name), `components.schemas.${name} compiles`);
  });

  test('schema examples validate against their own schema', () => {
    let n = 0;
    for (const [file, { schema }] of Object.entries(schemaFiles)) {
      for (const example of schema.examples ?? []) {
        assertValid(fileSchema(file), example, `${file} example`);
        n += 1;
      }
    }
    assert.ok(n > 0);
  });

  test('every operation documents its responses with content types', () => {
    for (const [path, item] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(item)) {
        assert.ok(['get'].includes(method), `${path}: only GET (and HEAD, implied) are served, not ${method}`);
        assert.ok(op.operationId, `${method} ${path}: operationId`);
        for (const [status, r] of Object.entries(op.responses)) {
          const doc = deref(r);
          if (!['101', '304'].includes(status)) assert.ok(doc.content, `${method} ${path} ${status}: content`);
        }
      }
    }
  });
});

// ===========================================================================
// The live daemon on the demo config (prices change every 250 ms)

describe('live daemon (config/demo.toml)', () => {
  let d;
  before(async () => {
    d = await Daemon.start('demo', daemonConfig());
    // The sim publishes start prices at once; wait until every symbol has one.
    await eventually('every symbol has a quote', async () => {
      const r = await d.get('/readyz');
      return { ok: r.status === 200, detail: `${r.status} ${r.body}` };
    });
  });
  after(async () => {
    if (d) await d.stop();
  });

  test('GET /v1/snapshot', TEST, async () => {
    const res = await d.get('/v1/snapshot');
    assert.equal(res.status, 200);
    const snap = assertDocumented(res);
    assert.equal(snap.quotes.length, configIds.length, 'every symbol (all have quotes by now)');
    assertConfigOrder(snap.quotes, '/v1/snapshot');
    assert.equal(res.headers.etag, `"${snap.seq}"`, 'ETag is the seq in quotes');
    for (const q of snap.quotes) assert.ok(q.seq <= snap.seq, `${q.symbol}: quote seq ${q.seq} <= snapshot seq ${snap.seq}`);
    assertPrecision(res.body, '/v1/snapshot');
    assert.equal(new Set(snap.quotes.map((q) => q.seq)).size, snap.quotes.length, 'quote seqs are distinct');

    const head = await d.get('/v1/snapshot', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assertDocumented(head);
    assert.equal(head.body, '');

    const star = await d.get('/v1/snapshot', { headers: { 'If-None-Match': '*' } });
    assert.equal(star.status, 304, 'If-None-Match: * matches');
    assertDocumented(star);
    const other = await d.get('/v1/snapshot', { headers: { 'If-None-Match': '"1"' } });
    assert.equal(other.status, 200, 'an old ETag does not match');
    assertDocumented(other);
  });

  test('GET /v1/snapshot?symbols=… filters and keeps config order; 400 for an unknown or empty list', TEST, async () => {
    const res = await d.get('/v1/snapshot?symbols=BTC,NVDA');
    assert.equal(res.status, 200);
    const snap = assertDocumented(res);
    assert.deepEqual(snap.quotes.map((q) => q.symbol), ['NVDA', 'BTC']);

    const slash = await d.get('/v1/snapshot?symbols=USD%2FVND,%209988.HK');
    assert.equal(slash.status, 200);
    assert.deepEqual(assertDocumented(slash).quotes.map((q) => q.symbol), ['9988.HK', 'USD/VND']);

    for (const q of ['?symbols=NVDA,NOPE', '?symbols=', '?symbols=nvda']) {
      const bad = await d.get(`/v1/snapshot${q}`);
      assert.equal(bad.status, 400, `${q}: ${bad.body}`);
      assertDocumented(bad);
    }
  });

  test('GET /v1/quotes/{id}, with / in the id escaped or not; 404 for an unknown id', TEST, async () => {
    const nvda = await d.get('/v1/quotes/NVDA');
    assert.equal(nvda.status, 200);
    const q = assertDocumented(nvda);
    assert.equal(q.symbol, 'NVDA');
    assert.equal(nvda.headers.etag, `"${q.seq}"`, 'ETag is the quote seq');
    assertPrecision(nvda.body, '/v1/quotes/NVDA');

    for (const path of ['/v1/quotes/USD%2FVND', '/v1/quotes/USD/VND', '/v1/quotes/USD%2fVND']) {
      const res = await d.get(path);
      assert.equal(res.status, 200, `${path}: ${res.body}`);
      const fx = assertDocumented(res);
      assert.equal(fx.symbol, 'USD/VND');
      assert.equal(fx.class, 'fx');
      assertPrecision(res.body, path);
    }

    for (const path of ['/v1/quotes/NOPE', '/v1/quotes/nvda']) {
      const res = await d.get(path);
      assert.equal(res.status, 404, `${path}: ${res.body}`);
      assertDocumented(res);
    }
  });

  test('GET /metrics: the Prometheus text format', TEST, async () => {
    const res = await d.get('/metrics');
    assert.equal(res.status, 200);
    assertDocumented(res);
    assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    assert.match(res.body, /^# HELP tickerd_build_info /, 'starts with a HELP line');
    assert.ok(res.body.endsWith('\n'), 'ends with a newline');
    for (const id of configIds) {
      const label = id.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      assert.ok(res.body.includes(`tickerd_quote_stale{symbol="${label}"} 0\n`), `${id} is fresh in /metrics`);
    }
    const head = await d.get('/metrics', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assertDocumented(head);
    assert.equal(head.body, '');
  });

  test('GET /healthz and /readyz', TEST, async () => {
    const health = await d.get('/healthz');
    assert.equal(health.status, 200);
    const h = assertDocumented(health);
    assert.deepEqual(h.symbols.map((s) => s.symbol), configIds, '/healthz lists every symbol in config order');
    for (const s of h.symbols) assert.equal(s.state, 'fresh');

    const ready = await d.get('/readyz');
    assert.equal(ready.status, 200);
    const body = assertDocumented(ready);
    assert.equal(body.ready, true);
    assert.deepEqual(body.missing, []);
    assert.deepEqual(body.stale, []);
    assert.deepEqual(body.symbols.map((s) => s.symbol), configIds);
    for (const s of body.symbols) {
      assert.equal(s.state, 'fresh');
      assert.equal(s.source, 'sim');
    }
  });

  test('GET /v1/history/{id}', TEST, async () => {
    const windows = { '1h': 3_600_000, '6h': 21_600_000, '1d': 86_400_000 };
    for (const [path, window, symbol] of [
      ['/v1/history/NVDA', '1d', 'NVDA'],
      ['/v1/history/NVDA?window=1h', '1h', 'NVDA'],
      ['/v1/history/BTC?window=6h', '6h', 'BTC'],
      ['/v1/history/USD%2FVND?window=1d', '1d', 'USD/VND'],
    ]) {
      const before = Date.now();
      const res = await d.get(path);
      assert.equal(res.status, 200, `${path}: ${res.body}`);
      const h = assertDocumented(res);
      assert.equal(h.symbol, symbol, path);
      assert.equal(h.window, window, path);
      assert.ok(h.points.length > 0, `${path}: has points`);
      const res_ms = h.resolution_s * 1000;
      let prev = -Infinity;
      for (const [t] of h.points) {
        assert.ok(t > prev, `${path}: points oldest first, one per time`);
        prev = t;
        assert.equal(t % res_ms, 0, `${path}: t=${t} is the start of a ${h.resolution_s} s bucket`);
        assert.ok(t >= before - windows[window] - res_ms && t <= Date.now() + 1000, `${path}: t=${t} within the window`);
      }
      const precision = configSymbols.find((s) => s.id === symbol).precision;
      for (const [, literal] of res.body.matchAll(/\[[0-9]+,(-?[0-9.eE+-]+)\]/g)) {
        assert.equal(decimals(literal), precision, `${path}: price ${literal} has the symbol's ${precision} decimals`);
      }
    }
    for (const [path, status] of [['/v1/history/NVDA?window=2d', 400], ['/v1/history/NVDA?window=', 400], ['/v1/history/NOPE', 404]]) {
      const res = await d.get(path);
      assert.equal(res.status, status, `${path}: ${res.body}`);
      assertDocumented(res);
    }
  });

  test('GET /v1/history/{id}: points=, ETag and 304', TEST, async () => {
    for (const [path, most] of [['/v1/history/NVDA?points=2', 2], ['/v1/history/NVDA?points=60', 60], ['/v1/history/NVDA', 120]]) {
      const res = await d.get(path);
      assert.equal(res.status, 200, `${path}: ${res.body}`);
      const h = assertDocumented(res);
      assert.ok(h.points.length <= most && h.points.length >= Math.min(2, most), `${path}: ${h.points.length} points`);
    }
    for (const path of ['/v1/history/NVDA?points=1', '/v1/history/NVDA?points=x', '/v1/history/NVDA?points=100001']) {
      const res = await d.get(path);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      assertDocumented(res);
    }
    // The demo's prices move every 250 ms: retry until a revalidation falls between two changes.
    let got304 = false;
    for (let i = 0; i < 20 && !got304; i += 1) {
      const res = await d.get('/v1/history/BTC?window=1h');
      assertDocumented(res);
      const again = await d.get('/v1/history/BTC?window=1h', { headers: { 'If-None-Match': res.headers.etag } });
      assertDocumented(again);
      if (again.status === 304) {
        assert.equal(again.body, '');
        assert.equal(again.headers.etag, res.headers.etag);
        got304 = true;
      }
    }
    assert.ok(got304, 'If-None-Match with the current ETag gives 304');
  });

  test('GET /v1/openapi.json serves docs/openapi.yaml', TEST, async () => {
    const res = await d.get('/v1/openapi.json');
    assert.equal(res.status, 200, res.body.slice(0, 200));
    const served = assertDocumented(res);
    assert.deepStrictEqual(served, openapi, 'the served document equals docs/openapi.yaml (rebuild tickerd after editing it)');
    assert.equal(res.body, openapiText, 'served verbatim');
  });

  test('GET / serves the web page', TEST, async () => {
    const res = await d.get('/');
    assert.equal(res.status, 200, `GET /: ${res.status} ${res.body.slice(0, 200)}`);
    assertDocumented(res);
    const again = await d.get('/', { headers: { 'If-None-Match': res.headers.etag } });
    assert.equal(again.status, 304);
    assertDocumented(again);
  });

  test('document-wide rules: 404 under /v1/, 405, OPTIONS; malformed escapes', TEST, async () => {
    assertErrorBody(await d.get('/v1/nope'), 404);
    const post = await d.get('/v1/snapshot', { method: 'POST' });
    assertErrorBody(post, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    for (const path of ['/v1/quotes/%zz', '/v1/history/NV%4']) {
      const res = await d.get(path);
      assert.equal(res.status, 400, `${path}: ${res.body}`);
      assertDocumented(res);
    }
    const pre = await d.get('/v1/snapshot', { method: 'OPTIONS', headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'GET' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(pre.headers['access-control-allow-methods'] ?? '', /GET/);
  });

  test('GET /v1/stream without an upgrade: 426; with a bad query: 400 instead of 101', TEST, async () => {
    const plain = await d.get('/v1/stream');
    assert.equal(plain.status, 426);
    assertDocumented(plain);
    for (const q of ['?symbols=NOPE', '?since=abc']) {
      const err = await openStream(d.port, q).then((s) => {
        closeStream(s);
        return null;
      }, (e) => e);
      assert.ok(err?.response, `${q}: the upgrade must be refused (${err?.message ?? 'it was accepted'})`);
      assert.equal(err.response.status, 400);
      assertDocumented(err.response);
    }
  });

  test('WebSocket: snapshot, then updates', TEST, async () => {
    const s = await openStream(d.port);
    try {
      assert.equal(s.upgrade?.status, 101);
      assertDocumented(s.upgrade);
      const first = await s.inbox.next(WAIT_MS, 'the snapshot');
      assertStreamMessage(first.data, 'ws');
      assert.equal(first.data.type, 'snapshot');
      assert.equal(first.data.since, undefined);
      assert.equal(first.data.quotes.length, configIds.length);
      assertConfigOrder(first.data.quotes, 'ws snapshot');
      assertPrecision(first.raw, 'ws snapshot');

      let last = first.data.seq;
      for (let i = 0; i < 5; i += 1) {
        const m = await s.inbox.until((x) => x.data?.type === 'update', 'an update');
        assert.ok(m.data.seq > last, `update seq ${m.data.seq} > previous ${last}`);
        last = m.data.seq;
        for (const q of m.data.quotes) assert.ok(q.seq <= m.data.seq, 'quote seq <= message seq');
        assertPrecision(m.raw, 'ws update');
      }
      const health = await d.get('/healthz');
      assert.ok(assertDocumented(health).clients >= 1, 'healthz counts the stream client');
      assertStreamMessages(s);
    } finally {
      closeStream(s);
    }
  });

  test('WebSocket: heartbeat carries the last seq sent', TEST, async () => {
    const s = await openStream(d.port, '?symbols=NVDA');
    try {
      const snap = await s.inbox.next(WAIT_MS, 'the snapshot');
      assert.deepEqual(snap.data.quotes.map((q) => q.symbol), ['NVDA']);
      s.ws.send(JSON.stringify({ op: 'unsubscribe', symbols: ['NVDA'] }));
      const hb = await s.inbox.until((m) => m.data?.type === 'heartbeat', 'a heartbeat', HEARTBEAT_MS * 2 + WAIT_MS);
      const before = s.inbox.all.slice(0, s.inbox.all.indexOf(hb)).filter((m) => m.data?.type !== 'heartbeat');
      assert.equal(hb.data.seq, Math.max(...before.map((m) => m.data.seq)), 'heartbeat seq = last seq sent');
      assertStreamMessages(s);
    } finally {
      closeStream(s);
    }
  });

  test('WebSocket: client messages; errors keep the connection open', TEST, async () => {
    const s = await openStream(d.port, '?symbols=NVDA');
    const clientSchema = fileSchema('client-message.json');
    try {
      await s.inbox.until((m) => m.data?.type === 'snapshot', 'the snapshot');
      const probes = [
        ['not json', 'bad_request'],
        ['[]', 'bad_request'],
        ['{"op":"jump","symbols":[]}', 'bad_request'],
        ['{"op":"subscribe"}', 'bad_request'],
        ['{"symbols":["TSM"]}', 'bad_request'],
        ['{"op":"subscribe","symbols":"TSM"}', 'bad_request'],
        ['{"op":"subscribe","symbols":[1]}', 'bad_request'],
        [JSON.stringify({ op: 'subscribe', symbols: Array(257).fill('NVDA') }), 'bad_request'],
        ['{"op":"subscribe","symbols":["NOPE"]}', 'unknown_symbol'],
        ['{"op":"unsubscribe","symbols":["TSM","NOPE"]}', 'unknown_symbol'],
      ];
      for (const [text, code] of probes) {
        let parsed;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
        // client-message.json accepts exactly what the server does not call a bad_request.
        assert.equal(parsed !== undefined && clientSchema(parsed), code !== 'bad_request', `client-message.json on ${text.slice(0, 60)}`);
        s.ws.send(text);
        const err = await s.inbox.until((m) => m.data?.type === 'error', `the error for ${text.slice(0, 60)}`);
        assert.equal(err.data.code, code, `${text.slice(0, 60)}: ${err.data.message}`);
      }
      // Still open, subscription unchanged: subscribe adds TSM and answers with its snapshot.
      const sub = { op: 'subscribe', symbols: ['TSM', 'NVDA'], extra: 'ignored' };
      assertValid(clientSchema, sub, 'subscribe message');
      s.ws.send(JSON.stringify(sub));
      const added = await s.inbox.until((m) => m.data?.type === 'snapshot', 'the subscribe snapshot');
      assert.deepEqual(added.data.quotes.map((q) => q.symbol), ['TSM'], 'only the newly added symbol');
      s.ws.send(JSON.stringify({ op: 'subscribe', symbols: ['TSM'] }));
      const none = await s.inbox.until((m) => m.data?.type === 'snapshot', 'the empty subscribe snapshot');
      assert.deepEqual(none.data.quotes.map((q) => q.symbol), [],
        'a subscribe that adds no symbol is answered with an empty snapshot (docs/protocol.md: "for the newly added ones")');
      assertStreamMessages(s);
      assert.equal(s.close, null, 'the connection stayed open');
    } finally {
      closeStream(s);
    }
  });

  test('WebSocket: ?since=N resumes with only the newer quotes', TEST, async () => {
    const snap = assertDocumented(await d.get('/v1/snapshot'));
    await sleep(600);
    const s = await openStream(d.port, `?since=${snap.seq}`);
    try {
      const first = await s.inbox.next(WAIT_MS, 'the snapshot');
      assertStreamMessage(first.data, 'ws ?since');
      assert.equal(first.data.type, 'snapshot');
      assert.equal(first.data.since, snap.seq);
      for (const q of first.data.quotes) assert.ok(q.seq > snap.seq, `${q.symbol}: ${q.seq} > since ${snap.seq}`);
    } finally {
      closeStream(s);
    }
  });

  test('SSE /v1/events: snapshot, updates; data is the WebSocket JSON', TEST, async () => {
    const s = await openStream(d.port);
    const e = await openEvents(d.port);
    try {
      assert.equal(e.response.status, 200);
      assertDocumented(e.response);
      assert.equal(e.retry, 2000, 'the stream opens with retry: 2000');
      const first = await e.inbox.next(WAIT_MS, 'the snapshot event');
      assert.equal(first.event, 'snapshot');
      assert.equal(first.json?.quotes?.length, configIds.length);
      for (let i = 0; i < 5; i += 1) await e.inbox.until((m) => m.event === 'update', 'an update event');
      await sleep(1000);
      assertEvents(e);
      assertStreamMessages(s);
      // Each client's queue conflates per symbol, so an update may batch several quotes, and how
      // they batch depends on each client's pace: compare the quotes, and whole messages when they
      // hold the same quotes (then byte for byte).
      const wsUpdates = s.inbox.all.filter((m) => m.data?.type === 'update');
      const ws = new Map(wsUpdates.map((m) => [m.data.seq, m]));
      const wsQuotes = new Map(wsUpdates.flatMap((m) => m.data.quotes.map((q) => [`${q.symbol}@${q.seq}`, q])));
      let sameQuotes = 0;
      for (const m of e.inbox.all.filter((x) => x.event === 'update')) {
        for (const q of m.json.quotes) {
          const twin = wsQuotes.get(`${q.symbol}@${q.seq}`);
          if (twin) {
            sameQuotes += 1;
            assert.deepEqual(q, twin, `${q.symbol}@${q.seq}: the same quote on both streams`);
          }
        }
        const w = ws.get(m.json.seq);
        if (w && w.data.quotes.length === m.json.quotes.length) {
          assert.equal(m.data, w.raw, `update ${m.json.seq}: SSE data equals the WebSocket text`);
        }
      }
      assert.ok(sameQuotes > 0, 'some quote reached both streams');
    } finally {
      e.close();
      closeStream(s);
    }
  });

  test('SSE /v1/events: ?symbols, ?since and Last-Event-ID; HEAD; 400 for a bad query', TEST, async () => {
    const e = await openEvents(d.port, '?symbols=BTC,TSM');
    let seq;
    try {
      const first = await e.inbox.next(WAIT_MS, 'the snapshot event');
      assert.deepEqual(first.json.quotes.map((q) => q.symbol), ['TSM', 'BTC']);
      const upd = await e.inbox.until((m) => m.event === 'update', 'an update event');
      seq = upd.json.seq;
      assertEvents(e);
      for (const m of e.inbox.all.filter((x) => x.event === 'update')) {
        for (const q of m.json.quotes) assert.ok(['TSM', 'BTC'].includes(q.symbol), `only subscribed symbols, got ${q.symbol}`);
      }
    } finally {
      e.close();
    }
    await sleep(600);
    for (const [query, headers, since] of [
      ['', { 'Last-Event-ID': String(seq) }, seq],
      [`?since=${seq}`, {}, seq],
      [`?since=${seq}`, { 'Last-Event-ID': '1' }, seq],
    ]) {
      const r = await openEvents(d.port, query, headers);
      try {
        assert.equal(r.response.status, 200);
        assertDocumented(r.response);
        const first = await r.inbox.next(WAIT_MS, 'the snapshot event');
        assertEvents(r);
        assert.equal(first.event, 'snapshot');
        assert.equal(first.json.since, since, `${query} ${JSON.stringify(headers)}: since`);
        for (const q of first.json.quotes) assert.ok(q.seq > since, `${q.symbol}: ${q.seq} > since ${since}`);
      } finally {
        r.close();
      }
    }
    const head = await d.get('/v1/events', { method: 'HEAD' });
    assert.equal(head.status, 200, 'HEAD /v1/events');
    assertDocumented(head);
    for (const [query, headers] of [['?symbols=NOPE', {}], ['?since=abc', {}], ['', { 'Last-Event-ID': 'abc' }]]) {
      const r = await openEvents(d.port, query, headers);
      r.close();
      assert.equal(r.response.status, 400, `${query} ${JSON.stringify(headers)}: ${r.response.body}`);
      assertDocumented(r.response);
    }
  });

  test('SIGTERM closes streams with 1001 and exits 0', TEST, async () => {
    const s = await openStream(d.port);
    await s.inbox.next(WAIT_MS, 'the snapshot');
    const closed = new Promise((r) => s.ws.on('close', (code) => r(code)));
    const status = await d.stop();
    const code = await Promise.race([closed, sleep(WAIT_MS).then(() => 'no close frame')]);
    assert.equal(code, 1001, 'close code');
    assert.deepEqual(status, { code: 0, signal: null }, `exit status; log:\n${d.log}`);
  });
});

// ===========================================================================
// A quiet daemon: the sim ticks once, then prices age past max_age (stale) and
// nothing changes, so heartbeats, 503 and ETag revalidation are deterministic.

describe('live daemon (quiet: prices turn stale, then nothing changes)', () => {
  let d;
  let early;
  before(async () => {
    d = await Daemon.start('quiet', daemonConfig({ simInterval: '1h', maxAge: '1s' }));
    early = await openStream(d.port);
  });
  after(async () => {
    if (early) closeStream(early);
    if (d) await d.stop();
  });

  test('a quote turning stale is sent as an update', TEST, async () => {
    const stale = new Set();
    while (stale.size < configIds.length) {
      const m = await early.inbox.until((x) => x.data?.type === 'update', 'a stale update', WAIT_MS);
      for (const q of m.data.quotes) if (q.stale) stale.add(q.symbol);
    }
    assertStreamMessages(early);
  });

  test('GET /readyz: 503 with the stale symbols', TEST, async () => {
    const body = await eventually('readyz 503', async () => {
      const r = await d.get('/readyz');
      const data = assertDocumented(r);
      return { ok: r.status === 503 && data.stale.length === configIds.length, value: data, detail: `${r.status} ${r.body}` };
    });
    assert.equal(body.ready, false);
    assert.deepEqual(body.missing, []);
    assert.deepEqual(body.stale, configIds);
    for (const s of body.symbols) assert.equal(s.state, 'stale');
  });

  test('GET /v1/snapshot: If-None-Match with the current ETag gives 304', TEST, async () => {
    const res = await d.get('/v1/snapshot');
    const snap = assertDocumented(res);
    for (const q of snap.quotes) assert.equal(q.stale, true);
    const again = await d.get('/v1/snapshot', { headers: { 'If-None-Match': res.headers.etag } });
    assert.equal(again.status, 304);
    assertDocumented(again);
    assert.equal(again.headers.etag, res.headers.etag);
    const weak = await d.get('/v1/snapshot', { headers: { 'If-None-Match': `"1", W/${res.headers.etag}` } });
    assert.equal(weak.status, 304, 'a list with a weak match');
  });

  test('WebSocket and SSE heartbeats on a quiet stream', TEST, async () => {
    const s = await openStream(d.port);
    const e = await openEvents(d.port);
    try {
      const snap = await s.inbox.next(WAIT_MS, 'the snapshot');
      const wsBeat = await s.inbox.until((m) => m.data?.type === 'heartbeat', 'a heartbeat', HEARTBEAT_MS * 2 + WAIT_MS);
      assert.equal(wsBeat.data.seq, snap.data.seq, 'heartbeat seq = the snapshot seq (nothing else was sent)');
      const sseSnap = await e.inbox.next(WAIT_MS, 'the snapshot event');
      const sseBeat = await e.inbox.until((m) => m.event === 'heartbeat', 'a heartbeat event', HEARTBEAT_MS * 2 + WAIT_MS);
      assert.equal(sseBeat.json.seq, sseSnap.json.seq);
      assertStreamMessages(s);
      assertEvents(e);
    } finally {
      e.close();
      closeStream(s);
    }
  });
});

// ===========================================================================
// SIGHUP with the last demo symbol removed: the "removed" message on both streams.

describe('live daemon (reload removes a symbol)', () => {
  let d;
  before(async () => {
    d = await Daemon.start('reload', daemonConfig());
  });
  after(async () => {
    if (d) await d.stop();
  });

  test('WebSocket and SSE clients get a schema-valid removed message', TEST, async () => {
    const s = await openStream(d.port);
    const e = await openEvents(d.port);
    try {
      await s.inbox.next(WAIT_MS, 'the snapshot');
      await e.inbox.next(WAIT_MS, 'the snapshot event');
      const gone = configIds.at(-1);
      const text = daemonConfig();
      const at = text.lastIndexOf('[[symbols]]');
      const next = text.indexOf('\n[', at + 1);
      writeFileSync(join(d.dir, 'tickerd.toml'), text.slice(0, at) + (next === -1 ? '' : text.slice(next)));
      d.proc.kill('SIGHUP');
      const m = await s.inbox.until((x) => x.data?.type === 'removed', 'a removed message');
      assert.deepEqual(m.data.symbols, [gone]);
      const ev = await e.inbox.until((x) => x.event === 'removed', 'a removed event');
      assert.deepEqual(ev.json, m.data, 'the same message on both streams');
      assert.equal(ev.id, String(m.data.seq));
      const snap = assertDocumented(await d.get('/v1/snapshot'));
      assert.ok(!snap.quotes.some((q) => q.symbol === gone), `${gone} gone from /v1/snapshot`);
      assertStreamMessages(s);
      assertEvents(e);
    } finally {
      e.close();
      closeStream(s);
    }
  });
});

// ===========================================================================

test('every documented path was exercised by the live tests', () => {
  const missing = [];
  for (const [path, item] of Object.entries(openapi.paths)) {
    for (const method of Object.keys(item)) {
      if (!observed.has(`${method.toUpperCase()} ${path}`)) missing.push(`${method.toUpperCase()} ${path}`);
    }
  }
  assert.deepEqual(missing, [], 'paths in docs/openapi.yaml that no live test answered');
});
