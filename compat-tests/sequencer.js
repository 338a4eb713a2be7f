/** Runs compat suites in a fixed order, the report generator (matrix/zz-report) last. */
const Sequencer = require('@jest/test-sequencer').default;

class CompatSequencer extends Sequencer {
  sort(tests) {
    const last = (t) => (t.path.includes('zz-report') ? 1 : 0);
    return [...tests].sort((a, b) => last(a) - last(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}

module.exports = CompatSequencer;
