// struct-layout: the hand-written koffi declarations in native/ts/native.ts and train.ts match openrs.h and openrs_train.h: the same structs with the
// same fields in the same order as the header declares, and the sizes and field offsets the C compiler gives them
// (printed by native/tests/layout.c, built with the library).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import koffi, { type TypeObject } from "koffi";
import { describe, expect, it } from "vitest";
import { nativeStructs } from "../../native/ts/native.js";
import { trainStructs } from "../../native/ts/train.js";

const nativeDir = new URL("../../native/", import.meta.url).pathname;
const header = ["openrs.h", "openrs_train.h"].map((h) => readFileSync(join(nativeDir, "include", h), "utf8")).join("\n");
const allStructs = () => ({ ...nativeStructs(), ...trainStructs() });
const layoutBin = join(nativeDir, "build", "openrs_layout");

interface Layout {
  [struct: string]: { size: number; fields: { [field: string]: { offset: number; size: number } } };
}

/** Field names, in order, of each `typedef struct NAME { ... } NAME;` of a C header. */
function headerFields(src: string): Record<string, string[]> {
  const code = src.replace(/\/\*[\s\S]*?\*\//g, " ").replace(/\/\/.*$/gm, " ");
  const out: Record<string, string[]> = {};
  for (const m of code.matchAll(/typedef\s+struct\s+(\w+)\s*\{([^}]*)\}\s*(\w+)\s*;/g)) {
    const names: string[] = [];
    for (const decl of m[2].split(";")) {
      if (!decl.trim()) continue;
      // "int32_t a, b[4], *c": the name is the last identifier of each declarator once array bounds are dropped.
      for (const d of decl.split(",")) {
        const name = /(\w+)\s*$/.exec(d.replace(/\[[^\]]*\]/g, "").trim());
        if (name) names.push(name[1]);
      }
    }
    out[m[3]] = names;
  }
  return out;
}

/** The same layout read from koffi's declarations. */
function koffiLayout(types: Record<string, TypeObject>): Layout {
  const out: Layout = {};
  for (const [name, t] of Object.entries(types)) {
    const info = koffi.type(t) as unknown as { size: number; members: Record<string, { offset: number; type: { size: number } }> };
    const fields: Layout[string]["fields"] = {};
    for (const [f, m] of Object.entries(info.members)) fields[f] = { offset: koffi.offsetof(t, f), size: m.type.size };
    out[name] = { size: koffi.sizeof(t), fields };
  }
  return out;
}

/** Every disagreement between two layouts (and the header's field lists), one line each; [] when they agree. */
function differences(c: Layout, ts: Layout, fromHeader: Record<string, string[]>): string[] {
  const out: string[] = [];
  const structs = new Set([...Object.keys(c), ...Object.keys(ts), ...Object.keys(fromHeader)]);
  for (const s of structs) {
    if (!c[s] || !ts[s] || !fromHeader[s]) {
      out.push(`${s}: declared in ${[c[s] && "layout.c", ts[s] && "native.ts", fromHeader[s] && "openrs.h"].filter(Boolean).join(", ")} only`);
      continue;
    }
    const names = { "openrs.h": fromHeader[s].join(","), "layout.c": Object.keys(c[s].fields).join(","), "native.ts": Object.keys(ts[s].fields).join(",") };
    if (new Set(Object.values(names)).size > 1) out.push(`${s}: fields differ: ${JSON.stringify(names)}`);
    if (c[s].size !== ts[s].size) out.push(`${s}: sizeof ${c[s].size} in C, ${ts[s].size} in koffi`);
    for (const [f, cf] of Object.entries(c[s].fields)) {
      const tf = ts[s].fields[f];
      if (tf && (tf.offset !== cf.offset || tf.size !== cf.size)) out.push(`${s}.${f}: C offset ${cf.offset} size ${cf.size}, koffi offset ${tf.offset} size ${tf.size}`);
    }
  }
  return out;
}

describe("openrs.h struct layouts", () => {
  it("the header's structs are the ones native.ts declares, field for field", () => {
    const fromHeader = headerFields(header);
    expect(Object.keys(fromHeader).sort()).toEqual(["openrs_adamw_params", "openrs_kv_usage", "openrs_model_info", "openrs_model_params", "openrs_sampling_params", "openrs_trainer_info", "openrs_trainer_params"]);
    const ts = koffiLayout(allStructs());
    for (const [s, fields] of Object.entries(fromHeader)) expect(Object.keys(ts[s]?.fields ?? {}), s).toEqual(fields);
  });

  it.skipIf(!existsSync(layoutBin))(`koffi sizes and offsets equal the C compiler's${existsSync(layoutBin) ? "" : " (skipped: native/build/openrs_layout not built)"}`, () => {
    const r = spawnSync(layoutBin, [], { encoding: "utf8", timeout: 10_000 });
    expect(r.status).toBe(0);
    const c = JSON.parse(r.stdout) as Layout;
    expect(differences(c, koffiLayout(allStructs()), headerFields(header))).toEqual([]);
    expect(c.openrs_adamw_params.fields.hf_no_decay).toEqual({ offset: 48, size: 4 });
    expect(c.openrs_model_info.fields.kv_bytes_per_pos).toEqual({ offset: 96, size: 8 }); // the int64 after char[48], padded to 8
  });

  it("a field added on one side only, or laid out differently, is reported", () => {
    const s = allStructs();
    const c = koffiLayout(s); // stands in for the C side: identical by construction
    const fromHeader = headerFields(header);
    expect(differences(c, c, fromHeader)).toEqual([]);
    // An int32 added at the end of openrs_kv_usage fits in its tail padding: the size stays 24, the field lists differ.
    const extra = koffiLayout({ openrs_kv_usage: koffi.struct("layout_test_kv_usage", { allocated: "int64_t", after_step: "int64_t", n_seq: "int32_t", more: "int32_t" }) });
    expect(extra.openrs_kv_usage.size).toBe(c.openrs_kv_usage.size);
    expect(differences(c, { ...c, ...extra }, fromHeader)).toEqual([expect.stringMatching(/^openrs_kv_usage: fields differ/)]);
    const headerPlus = headerFields(header.replace("int32_t n_seq;", "int32_t n_seq;\n    int32_t more;"));
    expect(differences(c, c, headerPlus)).toEqual([expect.stringMatching(/^openrs_kv_usage: fields differ/)]);
    // A field declared with the wrong type moves the ones after it.
    const wrong = koffiLayout({ openrs_sampling_params: koffi.struct("layout_test_sampling", { temperature: "float", top_p: "float", min_p: "float", top_k: "int32_t", seed: "uint32_t", max_new_tokens: "int32_t", n_stop: "int32_t", stop: koffi.array("int32_t", 8) }) });
    const d = differences(c, { ...c, ...wrong }, fromHeader);
    expect(d).toContain("openrs_sampling_params.seed: C offset 16 size 8, koffi offset 16 size 4");
    expect(d).toContain("openrs_sampling_params.max_new_tokens: C offset 24 size 4, koffi offset 20 size 4");
  });
});
