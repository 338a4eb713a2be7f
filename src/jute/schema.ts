import { JuteReader } from './reader';
import { JuteWriter } from './writer';

/**
 * A jute field type. Primitive types carry the reader/writer method names so that record codecs can be
 * compiled into straight-line code; composite types (records, vectors) carry functions.
 */
export interface FieldType<T> {
  readonly name: string;
  readonly readMethod?: string;
  readonly writeMethod?: string;
  read(r: JuteReader): T;
  write(w: JuteWriter, v: T): void;
}

function primitive<T>(name: string, readMethod: keyof JuteReader, writeMethod: keyof JuteWriter): FieldType<T> {
  return {
    name,
    readMethod,
    writeMethod,
    read: (r) => (r[readMethod] as () => T).call(r),
    write: (w, v) => (w[writeMethod] as (v: T) => void).call(w, v),
  };
}

/**
 * 64-bit longs come in two representations. Session ids and ephemeral owners use all 64 bits (the server
 * id sits in the top byte, TTL and container markers set the sign bit), so they are bigint and exact.
 * Zxids, times and TTLs are numbers: an epoch would have to pass 2^21 before a zxid left the exact range
 * of a double, and numbers keep zxid arithmetic and comparisons on the hot path free of allocation.
 * The reader refuses a long53 field outside that range instead of rounding it.
 */
export const T = {
  int: primitive<number>('int', 'readInt', 'writeInt'),
  long: primitive<bigint>('long', 'readLong', 'writeLong'),
  long53: primitive<number>('long53', 'readLong53', 'writeLong53'),
  bool: primitive<boolean>('boolean', 'readBool', 'writeBool'),
  buffer: primitive<Buffer | null>('buffer', 'readBuffer', 'writeBuffer'),
  ustring: primitive<string | null>('ustring', 'readString', 'writeString'),
  /** A jute vector; -1 on the wire (null) is returned as null. */
  vector<E>(elem: FieldType<E>): FieldType<E[] | null> {
    return {
      name: `vector<${elem.name}>`,
      read(r) {
        const n = r.readVectorLength();
        if (n < 0) return null;
        const out = new Array<E>(n);
        for (let i = 0; i < n; i++) out[i] = elem.read(r);
        return out;
      },
      write(w, v) {
        if (v === null) {
          w.writeInt(-1);
          return;
        }
        w.writeInt(v.length);
        for (let i = 0; i < v.length; i++) elem.write(w, v[i]);
      },
    };
  },
};

export type Fields = Record<string, FieldType<any>>;
export type RecordOf<F extends Fields> = { [K in keyof F]: F[K] extends FieldType<infer V> ? V : never };

export interface RecordType<F extends Fields> extends FieldType<RecordOf<F>> {
  readonly fields: F;
}

/**
 * Declares a jute record once: the field order is the wire order. The codec is compiled to straight-line
 * code, so that every decoded record has one object shape, on its first use: compiling all ~50 records as
 * their module loads was ~2 ms of a server's start, for records most servers never see.
 */
export function defineRecord<F extends Fields>(name: string, fields: F): RecordType<F> {
  const rec: RecordType<F> = {
    name,
    fields,
    read(r) {
      compileRecord(rec);
      return rec.read(r);
    },
    write(w, v) {
      compileRecord(rec);
      rec.write(w, v);
    },
  };
  return rec;
}

function compileRecord<F extends Fields>(rec: RecordType<F>): void {
  const names = Object.keys(rec.fields);
  const types = names.map((n) => rec.fields[n]);
  const readParts: string[] = [];
  const writeParts: string[] = [];
  names.forEach((n, i) => {
    const t = types[i];
    const key = JSON.stringify(n);
    if (t.readMethod) {
      readParts.push(`${key}: r.${t.readMethod}()`);
      writeParts.push(`w.${t.writeMethod}(v[${key}]);`);
    } else {
      readParts.push(`${key}: t[${i}].read(r)`);
      writeParts.push(`t[${i}].write(w, v[${key}]);`);
    }
  });
  const name = rec.name;
  // eslint-disable-next-line no-new-func
  (rec as { read: unknown }).read = new Function('t', `return function read${name}(r) { return { ${readParts.join(', ')} }; };`)(types);
  // eslint-disable-next-line no-new-func
  (rec as { write: unknown }).write = new Function('t', `return function write${name}(w, v) { ${writeParts.join(' ')} };`)(types);
}

/** Decodes a whole record from a byte array (tests, tools). */
export function decode<V>(type: FieldType<V>, bytes: Buffer, maxLength = 0x7fffffff): V {
  return type.read(new JuteReader(bytes, 0, bytes.length, maxLength));
}

/** Encodes a record into a fresh Buffer (tests, tools; the hot path writes into a shared JuteWriter). */
export function encode<V>(type: FieldType<V>, value: V): Buffer {
  const w = new JuteWriter(256);
  type.write(w, value);
  return w.toBuffer();
}
