// PostGraphile v5 wants Node 22 (Promise.withResolvers, ES2024); this machine has Node 20.
// Loaded with `node --require ./with-resolvers.cjs` before anything else; a no-op on Node 22+.
"use strict";
if (typeof Promise.withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers() {
      let resolve;
      let reject;
      const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
