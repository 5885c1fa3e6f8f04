/**
 * A stand-in for a module that loads the real one on the first look inside it, for the preloads
 * that keep a process from loading what it may never use (js-pack.js, lazy-arborist.js) and for
 * jest's setup (tests/support/lazy-modules.ts).
 */
"use strict";

/**
 * `load()`'s module, loaded on first use. `esModule`: answer `__esModule` without loading, so that
 * TypeScript's `__importStar` takes the stand-in as it is instead of copying the real module's keys
 * at import.
 */
function onFirstUse(load, { esModule = false } = {}) {
  let real;
  const target = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (esModule && key === "__esModule" ? true : Reflect.get(target(), key)),
      has: (_, key) => (esModule && key === "__esModule") || Reflect.has(target(), key),
      ownKeys: () => Reflect.ownKeys(target()),
      getOwnPropertyDescriptor: (_, key) => {
        const d = Reflect.getOwnPropertyDescriptor(target(), key);
        return d && { ...d, configurable: true };
      },
    },
  );
}

module.exports = { onFirstUse };
