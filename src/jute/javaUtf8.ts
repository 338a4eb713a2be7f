/**
 * Java's `new String(bytes, UTF_8)` (what BinaryInputArchive.readString uses), for input that is not
 * valid UTF-8. On valid UTF-8 Node's decoder gives the same string; on malformed input both put U+FFFD
 * in place of the bad bytes but group them differently. The one difference that matters in practice:
 * a surrogate encoded on its own in 3 bytes (ED A0..BF xx, which BinaryOutputArchive writes for every
 * character outside the BMP) is one U+FFFD for Java and three for Node. The rules below are those of the
 * JDK's UTF-8 decoder with replacement (each branch says which bytes one U+FFFD stands for).
 */

const REPL = 0xfffd;

const isCont = (b: number): boolean => (b & 0xc0) === 0x80;

export function javaUtf8Decode(src: Uint8Array, start: number, end: number): string {
  const out: number[] = [];
  let sp = start;
  while (sp < end) {
    const b1 = src[sp++];
    if (b1 < 0x80) {
      out.push(b1);
    } else if (b1 >= 0xc2 && b1 <= 0xdf) {
      // 2 bytes; C0 and C1 (overlong) fall to the last branch.
      if (sp < end) {
        const b2 = src[sp];
        if (isCont(b2)) {
          out.push(((b1 & 0x1f) << 6) | (b2 & 0x3f));
          sp++;
        } else {
          out.push(REPL); // the lead byte alone; b2 is read again
        }
        continue;
      }
      out.push(REPL); // truncated at the end
      break;
    } else if (b1 >= 0xe0 && b1 <= 0xef) {
      if (sp + 1 < end) {
        const b2 = src[sp];
        const b3 = src[sp + 1];
        const bad2 = (b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isCont(b2);
        if (bad2 || !isCont(b3)) {
          out.push(REPL); // the lead byte, plus b2 when b2 was acceptable
          sp += bad2 ? 0 : 1;
        } else {
          const c = ((b1 & 0x0f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
          // A surrogate takes its 3 bytes with it: one U+FFFD.
          out.push(c >= 0xd800 && c <= 0xdfff ? REPL : c);
          sp += 2;
        }
        continue;
      }
      if (sp < end) {
        const b2 = src[sp];
        if ((b1 === 0xe0 && (b2 & 0xe0) === 0x80) || !isCont(b2)) {
          out.push(REPL); // the lead byte alone; b2 is read again
          continue;
        }
      }
      out.push(REPL); // a sequence cut short by the end: one U+FFFD for the rest
      break;
    } else if (b1 >= 0xf0 && b1 <= 0xf7) {
      if (sp + 2 < end) {
        const b2 = src[sp];
        const b3 = src[sp + 1];
        const b4 = src[sp + 2];
        const uc = ((b1 & 0x07) << 18) | ((b2 & 0x3f) << 12) | ((b3 & 0x3f) << 6) | (b4 & 0x3f);
        if (!isCont(b2) || !isCont(b3) || !isCont(b4) || uc < 0x10000 || uc > 0x10ffff) {
          out.push(REPL);
          // How many bytes this U+FFFD stands for (JDK malformed4): the lead alone when b2 could not follow
          // it, two when b3 is not a continuation, else three.
          if (b1 > 0xf4 || (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) || !isCont(b2)) sp += 0;
          else if (!isCont(b3)) sp += 1;
          else sp += 2;
        } else {
          const v = uc - 0x10000;
          out.push(0xd800 | (v >> 10), 0xdc00 | (v & 0x3ff));
          sp += 3;
        }
        continue;
      }
      // Fewer than 4 bytes left.
      if (b1 > 0xf4 || (sp < end && malformed4Second(b1, src[sp]))) {
        out.push(REPL); // the lead byte alone
        continue;
      }
      sp++;
      out.push(REPL);
      if (sp < end && !isCont(src[sp])) continue;
      break;
    } else {
      out.push(REPL); // a continuation byte, C0, C1, F8..FF
    }
  }
  let s = '';
  for (let i = 0; i < out.length; i += 8192) s += String.fromCharCode(...out.slice(i, i + 8192));
  return s;
}

function malformed4Second(b1: number, b2: number): boolean {
  return (b1 === 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (b1 === 0xf4 && (b2 & 0xf0) !== 0x80) || !isCont(b2);
}
