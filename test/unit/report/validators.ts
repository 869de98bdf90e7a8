// Schema validators for the report tests (vendored schemas, no network): SARIF 2.1.0 with ajv (draft-04), JUnit
// with libxml2's XSD validation (xmllint-wasm). Sources and licenses: test/fixtures/schemas/README.md.
import { readFileSync } from 'node:fs';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { validateXML } from 'xmllint-wasm';

const sarifSchema = JSON.parse(readFileSync(new URL('../../fixtures/schemas/sarif-2.1.0-rtm.5.json', import.meta.url), 'utf8'));
// Both packages are CommonJS with `exports.default`; under NodeNext the default import is the module object.
// unicodeRegExp off: the published schema's `language` pattern has a stray `]` that only non-unicode regexps accept.
const ajv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
ajvFormats.default(ajv);
const validateSarifSchema = ajv.compile(sarifSchema);

/** Schema errors of a SARIF log, empty when valid. */
export function sarifErrors(log: unknown): string[] {
  return validateSarifSchema(log) ? [] : (validateSarifSchema.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

const junitXsd = readFileSync(new URL('../../fixtures/schemas/jenkins-junit.xsd', import.meta.url), 'utf8');

/** XSD errors of a JUnit XML document, empty when valid. */
export async function junitErrors(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [{ fileName: 'junit.xsd', contents: junitXsd }] });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}
