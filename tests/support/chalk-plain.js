// e2b's CommonJS build requires chalk 5, which is ESM-only: plain Node 20 loads it, Jest's module
// registry cannot. chalk only colours the SDK's template-build logger, so tests get plain text.
const plain = (s) => String(s);
const chain = new Proxy(plain, {
  get: (_t, prop) =>
    prop === "hex" || prop === "rgb" || prop === "bgHex" ? () => chain : prop === "default" ? chain : chain,
  apply: (_t, _this, args) => String(args[0]),
});
module.exports = chain;
module.exports.default = chain;
module.exports.__esModule = true;
