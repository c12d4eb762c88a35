// gguf.ts: a small GGUF v3 writer and reader (the file format llama.cpp loads), enough for f32/f16/bf16 tensors and
// scalar/string/array metadata. Written for the side-by-side bench: never part of the library.
import { closeSync, openSync, readSync, writeSync } from "node:fs";

export const GGML_TYPE = { F32: 0, F16: 1, BF16: 30 } as const;
export type GgmlType = keyof typeof GGML_TYPE;
const TYPE_BYTES: Record<number, number> = { 0: 4, 1: 2, 30: 2 };

// GGUF metadata value types.
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;

/** A metadata value with its GGUF type (numbers alone do not say u32 vs f32). */
export type GgufValue =
  | { type: "u32" | "i32" | "f32" | "u64" | "bool" | "u8"; value: number | boolean }
  | { type: "string"; value: string }
  | { type: "array"; of: "string"; value: string[] }
  | { type: "array"; of: "i32" | "f32"; value: number[] };

export interface GgufTensorIn {
  name: string;
  /** Shape as written by PyTorch / safetensors (outermost first); GGUF stores it innermost first. */
  shape: number[];
  type: GgmlType;
  /** The tensor's bytes, produced when written (so large models stream). */
  data: () => Uint8Array;
}

export const ALIGNMENT = 32;

class Out {
  private chunks: Buffer[] = [];
  size = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  u64(v: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(o: Out, v: GgufValue): void {
  const scalar = (t: string, x: number | boolean) => {
    const b = Buffer.alloc(t === "u64" ? 8 : t === "u8" || t === "bool" ? 1 : 4);
    if (t === "u32") b.writeUInt32LE(x as number);
    else if (t === "i32") b.writeInt32LE(x as number);
    else if (t === "f32") b.writeFloatLE(x as number);
    else if (t === "u64") b.writeBigUInt64LE(BigInt(x as number));
    else b.writeUInt8(x === true ? 1 : x === false ? 0 : (x as number));
    o.push(b);
  };
  const code: Record<string, number> = { u32: T.U32, i32: T.I32, f32: T.F32, u64: T.U64, bool: T.BOOL, u8: T.U8, string: T.STRING };
  if (v.type === "string") {
    o.u32(T.STRING);
    o.str(v.value);
  } else if (v.type === "array") {
    o.u32(T.ARRAY);
    o.u32(code[v.of]);
    o.u64(v.value.length);
    if (v.of === "string") for (const s of v.value as string[]) o.str(s);
    else for (const x of v.value as number[]) scalar(v.of, x);
  } else {
    o.u32(code[v.type]);
    scalar(v.type, v.value);
  }
}

/** Writes a GGUF v3 file: header, metadata, tensor infos, then each tensor's bytes at a 32-byte aligned offset. */
export function writeGguf(path: string, metadata: Record<string, GgufValue>, tensors: GgufTensorIn[]): void {
  const h = new Out();
  h.push(Buffer.from("GGUF", "ascii"));
  h.u32(3);
  h.u64(tensors.length);
  h.u64(Object.keys(metadata).length + 1);
  h.str("general.alignment");
  writeValue(h, { type: "u32", value: ALIGNMENT });
  for (const [k, v] of Object.entries(metadata)) {
    h.str(k);
    writeValue(h, v);
  }
  let off = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    if (!(t.type in GGML_TYPE)) throw new Error(`tensor ${t.name}: type ${t.type} not supported (F32, F16, BF16)`);
    h.str(t.name);
    h.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) h.u64(d);
    h.u32(GGML_TYPE[t.type]);
    h.u64(off);
    offsets.push(off);
    const bytes = t.shape.reduce((a, b) => a * b, 1) * TYPE_BYTES[GGML_TYPE[t.type]];
    off += Math.ceil(bytes / ALIGNMENT) * ALIGNMENT;
  }
  const pad = (n: number) => Buffer.alloc((ALIGNMENT - (n % ALIGNMENT)) % ALIGNMENT);
  const head = h.buffer();
  const fd = openSync(path, "w");
  try {
    writeSync(fd, head);
    writeSync(fd, pad(head.length));
    for (const [i, t] of tensors.entries()) {
      const d = t.data();
      const want = t.shape.reduce((a, b) => a * b, 1) * TYPE_BYTES[GGML_TYPE[t.type]];
      if (d.byteLength !== want) throw new Error(`tensor ${t.name}: ${d.byteLength} bytes, shape and type say ${want}`);
      writeSync(fd, d);
      const next = i + 1 < tensors.length ? offsets[i + 1] : Math.ceil((offsets[i] + want) / ALIGNMENT) * ALIGNMENT;
      writeSync(fd, Buffer.alloc(next - offsets[i] - want));
    }
  } finally {
    closeSync(fd);
  }
}

export interface GgufTensorInfo {
  name: string;
  /** Outermost first, as PyTorch writes it (the file's order reversed). */
  shape: number[];
  type: number;
  /** Absolute byte offset of the data in the file. */
  offset: number;
  bytes: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, unknown>;
  tensors: GgufTensorInfo[];
}

/** Parses a GGUF file's header, metadata and tensor table (the data is left in the file; see readTensor). */
export function readGguf(path: string): GgufFile {
  const fd = openSync(path, "r");
  try {
    let pos = 0;
    const take = (n: number): Buffer => {
      const b = Buffer.alloc(n);
      const got = readSync(fd, b, 0, n, pos);
      if (got !== n) throw new Error(`${path}: truncated at byte ${pos} (wanted ${n} more)`);
      pos += n;
      return b;
    };
    const u32 = () => take(4).readUInt32LE();
    const u64 = () => {
      const v = take(8).readBigUInt64LE();
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${path}: 64-bit value ${v} at byte ${pos - 8} is out of range`);
      return Number(v);
    };
    const str = () => take(u64()).toString("utf8");
    if (take(4).toString("ascii") !== "GGUF") throw new Error(`${path}: not a GGUF file (bad magic)`);
    const version = u32();
    if (version !== 3) throw new Error(`${path}: GGUF version ${version}, this reader knows 3`);
    const nt = u64();
    const nkv = u64();
    const value = (t: number): unknown => {
      switch (t) {
        case T.U8:
          return take(1).readUInt8();
        case T.I8:
          return take(1).readInt8();
        case T.U16:
          return take(2).readUInt16LE();
        case T.I16:
          return take(2).readInt16LE();
        case T.U32:
          return u32();
        case T.I32:
          return take(4).readInt32LE();
        case T.F32:
          return take(4).readFloatLE();
        case T.BOOL:
          return take(1).readUInt8() !== 0;
        case T.STRING:
          return str();
        case T.U64:
          return u64();
        case T.I64:
          return Number(take(8).readBigInt64LE());
        case T.F64:
          return take(8).readDoubleLE();
        case T.ARRAY: {
          const et = u32();
          const n = u64();
          return Array.from({ length: n }, () => value(et));
        }
        default:
          throw new Error(`${path}: unknown metadata type ${t} at byte ${pos - 4}`);
      }
    };
    const metadata = new Map<string, unknown>();
    for (let i = 0; i < nkv; i++) {
      const k = str();
      metadata.set(k, value(u32()));
    }
    const align = Number(metadata.get("general.alignment") ?? ALIGNMENT);
    const raw: { name: string; shape: number[]; type: number; rel: number }[] = [];
    for (let i = 0; i < nt; i++) {
      const name = str();
      const nd = u32();
      const dims = Array.from({ length: nd }, () => u64());
      const type = u32();
      raw.push({ name, shape: dims.reverse(), type, rel: u64() });
    }
    const start = Math.ceil(pos / align) * align;
    const tensors = raw.map((t) => {
      if (!(t.type in TYPE_BYTES)) throw new Error(`${path}: tensor ${t.name} has ggml type ${t.type} (this reader knows F32, F16, BF16)`);
      if (t.rel % align) throw new Error(`${path}: tensor ${t.name} offset ${t.rel} is not ${align}-aligned`);
      return { name: t.name, shape: t.shape, type: t.type, offset: start + t.rel, bytes: t.shape.reduce((a, b) => a * b, 1) * TYPE_BYTES[t.type] };
    });
    return { version, metadata, tensors };
  } finally {
    closeSync(fd);
  }
}

/** One tensor's bytes from a parsed GGUF file. */
export function readTensor(path: string, t: GgufTensorInfo): Buffer {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(t.bytes);
    if (readSync(fd, b, 0, t.bytes, t.offset) !== t.bytes) throw new Error(`${path}: tensor ${t.name} runs past the end of the file`);
    return b;
  } finally {
    closeSync(fd);
  }
}
