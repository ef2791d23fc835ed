// The package's TypeScript declarations (web/*.d.ts), checked with tsc --noEmit
// against tests/web/types/*.ts, importing "@tickerd/client" through web/package.json's
// `exports` (web/ linked as node_modules/@tickerd/client in a temporary folder).
// tsc: Debian's node-typescript (scripts/setup --test), or TSC=/path/to/tsc.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const web = resolve(here, "../../web");
const tsc = process.env.TSC || "tsc";

test("tsc --noEmit accepts the typed usage and rejects what must not compile", () => {
  const version = spawnSync(tsc, ["--version"], { encoding: "utf8" });
  assert.equal(version.status, 0, `no TypeScript compiler (${tsc}): scripts/setup --test installs node-typescript`);
  const dir = mkdtempSync(join(tmpdir(), "tickerd-types-"));
  try {
    mkdirSync(join(dir, "node_modules/@tickerd"), { recursive: true });
    symlinkSync(web, join(dir, "node_modules/@tickerd/client"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
    for (const f of ["usage.ts", "internal.ts", "tsconfig.json"]) cpSync(join(here, "types", f), join(dir, f));
    const r = spawnSync(tsc, ["--noEmit", "-p", dir], { encoding: "utf8", cwd: dir });
    assert.equal(r.status, 0, `tsc (${version.stdout.trim()}) failed:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
