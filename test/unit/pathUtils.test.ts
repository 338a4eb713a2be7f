/**
 * PathUtils.validatePath: what makes a znode path invalid, and the reason Apache gives. The vectors in
 * fixtures/server-vectors.json come from Apache's PathUtils itself (test/java/ServerVectors.java); the
 * reason there is the text after "caused by" in its IllegalArgumentException, or the whole message for
 * the checks made before the character scan.
 */
import * as fs from 'fs';
import * as path from 'path';
import { childName, invalidPathReason, isValidPath, parentOf } from '../../src/tree/pathUtils';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'server-vectors.json'), 'utf8')) as {
  validatePath: { path: string | null; reason: string | null }[];
};

const show = (p: string | null) => JSON.stringify(p)!.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('invalidPathReason, as PathUtils.validatePath', () => {
  test.each(fixture.validatePath.map((v) => [show(v.path), v.path, v.reason] as const))('%s', (_, p, reason) => {
    expect(invalidPathReason(p)).toBe(reason);
    expect(isValidPath(p)).toBe(reason === null);
  });

  test.each([
    ['/', null],
    ['/a', null],
    ['//a', 'empty node name specified @1'],
    ['/a/', 'Path must not end with / character'],
    ['/a/./b', 'relative paths not allowed @3'],
    ['/a/../b', 'relative paths not allowed @4'],
    ['/a/.b', null],
    ['/a/..b', null],
    ['/a\u0000', 'null character not allowed @2'],
    ['/a\u0007', 'invalid character @2'],
    ['/\u007f', 'invalid character @1'],
    ['/\ud800', 'invalid character @1'],
    ['/\ufff0', 'invalid character @1'],
    ['/é', null],
    ['/日本', null],
    ['/a/b/c/d/e', null],
  ])('%j -> %j', (p, reason) => {
    expect(invalidPathReason(p)).toBe(reason);
  });

  test('the index reported is that of the first offending character', () => {
    expect(invalidPathReason('/ok/also-ok/\u0001/\u0002')).toBe('invalid character @12');
    expect(invalidPathReason('/a/b//c/../d')).toBe('empty node name specified @5');
  });

  test('any character outside the BMP is invalid: its surrogates fall in \\ud800-\\uf8ff', () => {
    expect(invalidPathReason('/a/😀')).toBe('invalid character @3');
  });
});

describe('parentOf and childName', () => {
  test.each([
    ['/a', '', 'a'],
    ['/a/b', '/a', 'b'],
    ['/a/b/c-0000000001', '/a/b', 'c-0000000001'],
  ])('%s: parent %j, name %j (the root is keyed "" as DataTree keys it)', (p, parent, name) => {
    expect(parentOf(p)).toBe(parent);
    expect(childName(p)).toBe(name);
  });
});
