/**
 * A validator for the published SARIF 2.1.0 schema (rtm.5, as on SchemaStore), shipped by Microsoft's
 * @microsoft/jest-sarif package. The schema is draft-04, hence ajv-draft-04; one of its `pattern`s is
 * not valid as a unicode regular expression, hence `unicodeRegExp: false`.
 */
import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";

const schema = require("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");

export function sarifValidator() {
  const ajv = new Ajv({ strict: false, unicodeRegExp: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}
