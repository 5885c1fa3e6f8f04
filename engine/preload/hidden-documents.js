/**
 * Preloaded (`node -r`) into every program. A value the offline engine cannot know reaches the
 * program as a placeholder string naming where it comes from (policies/detect/hidden-config.ts
 * undecryptedPlaceholder): a secure config value read by a plain getter without the passphrase, or a
 * secret a provider function reads at deploy time (engine/secret-invokes.ts). Under `pulumi preview`
 * the program gets the value, often a JSON document (`JSON.parse(version.secretString).apiKey`,
 * `config.requireObject("creds")`), and goes on; offline `JSON.parse` of the placeholder threw and the
 * program failed. Here a placeholder parses as a document each of whose fields is a placeholder named
 * `<where>.<field>`, so the rules judge `E2B_API_KEY: creds.e2bApiKey` by that name as they judge the
 * value itself. Nothing else changes: only text JSON.parse rejects, and only a whole placeholder.
 */
"use strict";

/** policies/detect/unknowns.ts UNKNOWN_STRING (a test keeps the two equal). */
const SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const WHOLE = new RegExp(`^\\s*${SENTINEL}#([^#]*)#\\s*$`);
const placeholder = (key) => `${SENTINEL}#${encodeURIComponent(key)}#`;

/**
 * A document whose every field is the placeholder `<key>.<field>`. Listed (`Object.entries`, a spread,
 * `JSON.stringify`), it shows one field standing for those it hides, named and valued by the
 * placeholder `<key>.*`: a map built from it carries the hidden value too (rt45 #9).
 */
function hiddenDocument(key) {
  const any = placeholder(`${key}.*`);
  const field = (prop) => typeof prop === "string" && prop !== "then" && prop !== "toJSON";
  return new Proxy(
    {},
    {
      get: (target, prop, receiver) => {
        if (prop === any) return any;
        return field(prop) && !(prop in target)
          ? placeholder(`${key}.${prop}`)
          : Reflect.get(target, prop, receiver);
      },
      has: (target, prop) => field(prop) || prop in target,
      ownKeys: (target) => [...Reflect.ownKeys(target), any],
      getOwnPropertyDescriptor: (target, prop) =>
        prop === any
          ? { value: any, enumerable: true, configurable: true, writable: false }
          : Reflect.getOwnPropertyDescriptor(target, prop),
    },
  );
}

const parse = JSON.parse;
if (!parse.hiddenDocuments) {
  const patched = function (text, reviver) {
    try {
      return parse.call(this, text, reviver);
    } catch (e) {
      const m = typeof text === "string" ? WHOLE.exec(text) : null;
      let key;
      try {
        key = m ? decodeURIComponent(m[1]) : undefined;
      } catch {
        key = undefined;
      }
      if (key === undefined) throw e;
      return hiddenDocument(key);
    }
  };
  patched.hiddenDocuments = true;
  JSON.parse = patched;
}
