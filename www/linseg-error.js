// LinsegError: every failure linseg reports to a page, with a `kind` to match on. The kinds are
// one list, `ErrorKind` in src/error.rs (its TypeScript union is in the build's .d.ts): the wasm
// throws its errors with their kind set, and the worker and the library add the kinds of the
// failures that happen on their side (a module that could not load, a cancelled run, a closed
// segmenter).
// Owns: the error class and how a thrown value becomes one. Must not touch: anything that runs.

export class LinsegError extends Error {
  /**
   * @param {string} kind  one of src/error.rs's ErrorKind names ('bad-image', 'refused', …)
   * @param {string} message  plain words for a person
   */
  constructor(kind, message) {
    super(message);
    this.name = 'LinsegError';
    this.kind = kind;
  }

  /**
   * `err` as a LinsegError: itself; an error the wasm threw, whose `kind` Rust set; a trap of the
   * module ('crashed'); anything else 'internal'.
   */
  static from(err) {
    if (err instanceof LinsegError) return err;
    if (typeof WebAssembly !== 'undefined' && err instanceof WebAssembly.RuntimeError) {
      return new LinsegError('crashed', err.message);
    }
    const message = err?.message != null ? String(err.message) : String(err);
    return new LinsegError(typeof err?.kind === 'string' ? err.kind : 'internal', message);
  }
}
