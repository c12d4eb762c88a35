// A minimal parquet writer (one row group, PLAIN, uncompressed, flat REQUIRED columns) for test fixtures; not a product path.

/** Column kinds written: UTF-8 strings (BYTE_ARRAY/UTF8), 64-bit integers (INT64), doubles (DOUBLE). */
export type ParquetColumnType = "string" | "int64" | "double";

export interface ParquetColumn {
  name: string;
  type: ParquetColumnType;
  values: readonly (string | number | bigint)[];
}

/** Thrift compact protocol, just the parts parquet's footer and page headers use. */
class Compact {
  private bytes: number[] = [];
  private last: number[] = [0];

  varint(n: bigint): void {
    let v = n;
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  private zigzag(n: number | bigint): void {
    const v = BigInt(n);
    this.varint(v >= 0n ? v << 1n : (-v << 1n) - 1n);
  }

  private header(id: number, type: number): void {
    const delta = id - this.last[this.last.length - 1];
    if (delta > 0 && delta <= 15) this.bytes.push((delta << 4) | type);
    else {
      this.bytes.push(type);
      this.zigzag(id);
    }
    this.last[this.last.length - 1] = id;
  }

  i32(id: number, v: number): void {
    this.header(id, 5);
    this.zigzag(v);
  }

  i64(id: number, v: number | bigint): void {
    this.header(id, 6);
    this.zigzag(v);
  }

  binary(id: number, v: string): void {
    this.header(id, 8);
    this.raw(v);
  }

  private raw(v: string): void {
    const b = new TextEncoder().encode(v);
    this.varint(BigInt(b.length));
    this.bytes.push(...b);
  }

  /** A list field; `elemType` 5 = i32, 8 = binary, 12 = struct (each written by `item`). */
  list<T>(id: number, elemType: number, items: readonly T[], item: (x: T) => void): void {
    this.header(id, 9);
    if (items.length < 15) this.bytes.push((items.length << 4) | elemType);
    else {
      this.bytes.push(0xf0 | elemType);
      this.varint(BigInt(items.length));
    }
    for (const x of items) {
      if (elemType === 5) this.zigzag(x as number);
      else if (elemType === 8) this.raw(x as string);
      else item(x);
    }
  }

  /** A struct: nested field ids restart at 0; ends with the stop byte. */
  struct(body: () => void, id?: number): void {
    if (id !== undefined) this.header(id, 12);
    this.last.push(0);
    body();
    this.bytes.push(0);
    this.last.pop();
  }

  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

const TYPE_CODE: Record<ParquetColumnType, number> = { string: 6, int64: 2, double: 5 };

function plainValues(col: ParquetColumn): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const v of col.values) {
    if (col.type === "string") {
      const b = new TextEncoder().encode(String(v));
      const len = new Uint8Array(4);
      new DataView(len.buffer).setUint32(0, b.length, true);
      parts.push(len, b);
    } else {
      const b = new Uint8Array(8);
      if (col.type === "int64") new DataView(b.buffer).setBigInt64(0, BigInt(v), true);
      else new DataView(b.buffer).setFloat64(0, Number(v), true);
      parts.push(b);
    }
  }
  return Buffer.concat(parts);
}

/** A complete parquet file holding the given equal-length columns. */
export function writeParquet(columns: readonly ParquetColumn[]): Uint8Array {
  const rows = columns[0]?.values.length ?? 0;
  if (columns.some((c) => c.values.length !== rows)) throw new Error("parquet columns must have equal lengths");
  const chunks: Uint8Array[] = [Buffer.from("PAR1")];
  let offset = 4;
  const metas: { col: ParquetColumn; offset: number; size: number }[] = [];
  for (const col of columns) {
    const data = plainValues(col);
    const page = new Compact();
    page.struct(() => {
      page.i32(1, 0); // DATA_PAGE
      page.i32(2, data.length);
      page.i32(3, data.length);
      page.struct(() => {
        page.i32(1, rows);
        page.i32(2, 0); // PLAIN
        page.i32(3, 3); // RLE (no levels are written for REQUIRED flat columns)
        page.i32(4, 3);
      }, 5);
    });
    const header = page.done();
    metas.push({ col, offset, size: header.length + data.length });
    chunks.push(header, data);
    offset += header.length + data.length;
  }
  const footer = new Compact();
  footer.struct(() => {
    footer.i32(1, 1);
    footer.list(2, 12, [null, ...columns], (col) =>
      footer.struct(() => {
        if (col === null) {
          footer.binary(4, "schema");
          footer.i32(5, columns.length);
        } else {
          footer.i32(1, TYPE_CODE[col.type]);
          footer.i32(3, 0); // REQUIRED
          footer.binary(4, col.name);
          if (col.type === "string") footer.i32(6, 0); // UTF8
        }
      }),
    );
    footer.i64(3, rows);
    footer.list(4, 12, [0], () =>
      footer.struct(() => {
        footer.list(1, 12, metas, (m) =>
          footer.struct(() => {
            footer.i64(2, m.offset);
            footer.struct(() => {
              footer.i32(1, TYPE_CODE[m.col.type]);
              footer.list(2, 5, [0, 3], () => {});
              footer.list(3, 8, [m.col.name], () => {});
              footer.i32(4, 0); // UNCOMPRESSED
              footer.i64(5, rows);
              footer.i64(6, m.size);
              footer.i64(7, m.size);
              footer.i64(9, m.offset);
            }, 3);
          }),
        );
        footer.i64(2, offset - 4);
        footer.i64(3, rows);
      }),
    );
    footer.binary(6, "openrs parquet-writer");
  });
  const meta = footer.done();
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, meta.length, true);
  chunks.push(meta, len, Buffer.from("PAR1"));
  return Buffer.concat(chunks);
}
