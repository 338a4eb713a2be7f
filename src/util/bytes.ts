/**
 * src[start, end) into dst at `at`: a loop for the short copies most znodes make. Buffer.copy and
 * TypedArray.set need a view of the range (~100 bytes of garbage, and a call into C++): past 64 bytes
 * they are faster (256 bytes: ~70 ns against ~220), but a snapshot or a log group copies one value or
 * path after another, and the views were ~10 % of all a create allocated; up to 256 bytes the loop
 * allocates nothing.
 */
export function copyBytes(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number): void {
  if (end - start <= 256) {
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
