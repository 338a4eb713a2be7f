/**
 * JSON as the AdminServer's JsonOutputter writes it: Jackson's ObjectMapper with INDENT_OUTPUT, i.e.
 * DefaultPrettyPrinter — `"key" : value`, objects one entry a line indented by two spaces per object
 * level, arrays on one line (`[ 1, 2 ]`), empty ones as `{ }` and `[ ]`, no newline at the end.
 *
 * Values: a JS number is a Java int/long, a bigint a long beyond 2^53, a JDouble a Java double; a Map
 * keeps its keys in insertion order (a plain object would reorder integer-like keys).
 */
import { JDouble } from './metrics';

export type Json = null | boolean | string | number | bigint | JDouble | Json[] | JsonMap;
export type JsonMap = Map<string, Json>;

export function jsonMap(entries: [string, Json][] = []): JsonMap {
  return new Map(entries);
}

function write(v: Json, nesting: number): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : new JDouble(v).toString();
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof JDouble) return jsonDouble(v.value);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[ ]';
    return `[ ${v.map((x) => write(x, nesting)).join(', ')} ]`;
  }
  if (v.size === 0) return '{ }';
  const inner = '\n' + '  '.repeat(nesting + 1);
  const parts: string[] = [];
  for (const [k, x] of v) parts.push(`${JSON.stringify(k)} : ${write(x, nesting + 1)}`);
  return `{${inner}${parts.join(`,${inner}`)}\n${'  '.repeat(nesting)}}`;
}

/** Jackson writes NaN and infinities as quoted strings unless told otherwise. */
function jsonDouble(d: number): string {
  if (Number.isNaN(d)) return '"NaN"';
  if (d === Infinity) return '"Infinity"';
  if (d === -Infinity) return '"-Infinity"';
  return new JDouble(d).toString();
}

export function toJackson(v: Json): string {
  return write(v, 0);
}
