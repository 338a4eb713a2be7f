/** PathUtils.validatePath: returns the reason a path is invalid, or null when it is valid. */
export function invalidPathReason(path: string | null): string | null {
  if (path === null) return 'Path cannot be null';
  const n = path.length;
  if (n === 0) return 'Path length must be > 0';
  if (path.charCodeAt(0) !== 0x2f) return 'Path must start with / character';
  if (n === 1) return null;
  if (path.charCodeAt(n - 1) === 0x2f) return 'Path must not end with / character';
  let last = 0x2f;
  for (let i = 1; i < n; last = path.charCodeAt(i), i++) {
    const c = path.charCodeAt(i);
    if (c === 0) return `null character not allowed @${i}`;
    if (c === 0x2f && last === 0x2f) return `empty node name specified @${i}`;
    if (c === 0x2e && last === 0x2e) {
      if (path.charCodeAt(i - 2) === 0x2f && (i + 1 === n || path.charCodeAt(i + 1) === 0x2f)) {
        return `relative paths not allowed @${i}`;
      }
    } else if (c === 0x2e) {
      if (path.charCodeAt(i - 1) === 0x2f && (i + 1 === n || path.charCodeAt(i + 1) === 0x2f)) {
        return `relative paths not allowed @${i}`;
      }
    } else if (
      (c > 0 && c <= 0x1f) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xf8ff) ||
      (c >= 0xfff0 && c <= 0xffff)
    ) {
      return `invalid character @${i}`;
    }
  }
  return null;
}

export function isValidPath(path: string | null): path is string {
  return invalidPathReason(path) === null;
}

/** The parent of a valid, non-root path ("" for children of the root, as DataTree keys the root). */
export function parentOf(path: string): string {
  return path.substring(0, path.lastIndexOf('/'));
}

export function childName(path: string): string {
  return path.substring(path.lastIndexOf('/') + 1);
}
