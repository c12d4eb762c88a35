// safetensors.ts: minimal safetensors writer and reader (F32/F16/BF16) for the tiny-model factory and the TS reference.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

export type DType = "F32" | "F16" | "BF16";

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** f32 -> bf16 bits, round to nearest even (what torch does). */
export function toBf16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  if ((u & 0x7fffffff) > 0x7f800000) return 0x7fc0; // NaN
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

export function fromBf16(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/** f32 -> f16 bits, round to nearest even, with subnormals and overflow to infinity. */
export function toF16(x: number): number {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let man = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    man |= 0x800000;
    const shift = 14 - e;
    let h = man >>> shift;
    const rem = man & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  e = h >>> 10;
  return sign | (e >= 0x1f ? 0x7c00 : h);
}

export function fromF16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export interface TensorSpec {
  name: string;
  shape: number[];
  /** Fills the tensor in f32 (values are rounded to the file dtype on write). */
  fill: (out: Float32Array) => void;
  /** Optional fast path for 16-bit files: writes the stored bits directly (benchmark-sized models). */
  fillBits?: (out: Uint16Array, dtype: "F16" | "BF16") => void;
}

/** Writes tensors one at a time (a tensor's f32 copy is the only large buffer held), in the given order. */
export function writeSafetensors(path: string, dtype: DType, tensors: TensorSpec[]): void {
  const es = dtype === "F32" ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let off = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [off, off + n * es] };
    off += n * es;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8); // data section starts 8-byte aligned
  const fd = openSync(path, "w");
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, len);
    writeSync(fd, Buffer.from(json, "utf8"));
    for (const t of tensors) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (dtype !== "F32" && t.fillBits) {
        const h = new Uint16Array(n);
        t.fillBits(h, dtype);
        writeSync(fd, new Uint8Array(h.buffer));
        continue;
      }
      const vals = new Float32Array(n);
      t.fill(vals);
      let bytes: Uint8Array;
      if (dtype === "F32") bytes = new Uint8Array(vals.buffer);
      else {
        const h = new Uint16Array(vals.length);
        const conv = dtype === "BF16" ? toBf16 : toF16;
        for (let i = 0; i < vals.length; i++) h[i] = conv(vals[i]);
        bytes = new Uint8Array(h.buffer);
      }
      writeSync(fd, bytes);
    }
  } finally {
    closeSync(fd);
  }
}

export interface LoadedTensor {
  dtype: DType;
  shape: number[];
  /** Values widened exactly to float64. */
  data: Float64Array;
}

/** Reads every tensor of a safetensors file into float64 (for tiny models only). */
export function readSafetensors(path: string): Map<string, LoadedTensor> {
  const buf = readFileSync(path);
  const hlen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + hlen).toString("utf8")) as Record<
    string,
    { dtype: DType; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + hlen;
  const out = new Map<string, LoadedTensor>();
  for (const [name, t] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [b, e] = t.data_offsets;
    const raw = buf.subarray(base + b, base + e);
    const n = t.shape.reduce((x, y) => x * y, 1);
    const data = new Float64Array(n);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) {
      if (t.dtype === "F32") data[i] = dv.getFloat32(i * 4, true);
      else if (t.dtype === "BF16") data[i] = fromBf16(dv.getUint16(i * 2, true));
      else if (t.dtype === "F16") data[i] = fromF16(dv.getUint16(i * 2, true));
      else throw new Error(`${path}: tensor ${name} has unsupported dtype ${t.dtype}`);
    }
    out.set(name, { dtype: t.dtype, shape: t.shape, data });
  }
  return out;
}
