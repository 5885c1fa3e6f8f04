// Jest orders files it has timings for longest first; the others (all of them on a fresh clone) by
// file size. Among those, start the files that drive processes first: they are the long ones, and
// unit files are best left to fill the workers at the end of the run.
const TestSequencer = require("@jest/test-sequencer").default;
const { isUnitTest } = require("./kinds");

class Sequencer extends TestSequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const untimed = (t) => t.duration == null && !this.hasFailed(t);
    const rank = (t) => (untimed(t) ? (isUnitTest(t.path) ? 1 : 0) : -1);
    // Array.prototype.sort is stable: within a rank, jest's own order stays.
    return sorted
      .map((t, i) => ({ t, i, r: rank(t) }))
      .sort((a, b) => (a.r === -1 || b.r === -1 ? a.i - b.i : a.r - b.r || a.i - b.i))
      .map((x) => x.t);
  }
}

module.exports = Sequencer;
