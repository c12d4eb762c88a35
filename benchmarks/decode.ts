// Decodes downloaded dataset files (parquet, JSON Lines, JSON) into plain row objects; no network, no schema mapping.
import { parquetReadObjects } from "hyparquet";

export type DataFormat = "parquet" | "jsonl" | "json";

/** The format of a repo path by extension, or null for files that are not row data. */
export function formatOf(path: string): DataFormat | null {
  const p = path.toLowerCase();
  if (p.endsWith(".parquet")) return "parquet";
  if (p.endsWith(".jsonl") || p.endsWith(".ndjson")) return "jsonl";
  if (p.endsWith(".json")) return "json";
  return null;
}

/** JSON-safe values: parquet INT64 arrives as bigint, timestamps as Date. */
function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function asRow(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(`${where}: row is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Rows of one file; `name` appears in error messages. Throws a one-line Error on anything malformed. */
export async function decodeRows(bytes: Uint8Array, format: DataFormat, name: string): Promise<Record<string, unknown>[]> {
  if (format === "parquet") {
    // hyparquet wants an ArrayBuffer-like file; copy out of any larger pooled buffer.
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    let rows: Record<string, unknown>[];
    try {
      rows = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    } catch (e) {
      throw new Error(`${name}: cannot read parquet (${(e as Error).message})`);
    }
    return rows.map((r) => plain(r) as Record<string, unknown>);
  }
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes).replace(/^\uFEFF/, "");
  if (format === "jsonl") {
    const rows: Record<string, unknown>[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].trim() === "") continue;
      let v: unknown;
      try {
        v = JSON.parse(lines[i]);
      } catch (e) {
        throw new Error(`${name}:${i + 1}: not valid JSON (${(e as Error).message})`);
      }
      rows.push(asRow(v, `${name}:${i + 1}`));
    }
    return rows;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${name}: not valid JSON (${(e as Error).message})`);
  }
  // A JSON dataset file is an array of rows, or an object with one array of rows (e.g. {"data": [...]}).
  if (!Array.isArray(doc) && doc && typeof doc === "object") {
    const arrays = Object.values(doc).filter(Array.isArray);
    if (arrays.length === 1) doc = arrays[0];
  }
  if (!Array.isArray(doc)) throw new Error(`${name}: expected a JSON array of rows`);
  return doc.map((v, i) => asRow(v, `${name}[${i}]`));
}
