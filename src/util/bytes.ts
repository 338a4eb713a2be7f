/**
 * src[start, end) into dst at `at`: a loop for the shortest copies (names, small values). Buffer.copy and
 * TypedArray.set make a view and call into C++ (~60 ns here), which costs more than copying up to ~64
 * bytes in JavaScript; past that the loop loses (a 256-byte copy: ~220 ns against ~70).
 */
export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  if (end - start <= 64) {
    // Four bytes a turn: the loop's own overhead is most of the cost of a byte-at-a-time copy.
    let k = start;
    for (const stop = end - 3; k < stop; k += 4, at += 4) {
      dst[at] = src[k];
      dst[at + 1] = src[k + 1];
      dst[at + 2] = src[k + 2];
      dst[at + 3] = src[k + 3];
    }
    for (; k < end; k++) dst[at++] = src[k];
  } else {
    dst.set(start === 0 && end === src.length ? src : src.subarray(start, end), at);
  }
}
