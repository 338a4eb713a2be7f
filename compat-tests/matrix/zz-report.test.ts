// Last in the matrix: jest runs small, quick test files last. Writes docs/COMPATIBILITY.md.
import { checkDocWrittenFromResults, checkGeneratorOnSyntheticResults } from './report';

test('generator on synthetic results', checkGeneratorOnSyntheticResults);
test('docs/COMPATIBILITY.md from compat-tests/results', checkDocWrittenFromResults);
