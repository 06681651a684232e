// Checks real responses against openapi.yaml: the response schema of an operation and status is
// compiled with Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) and must accept the body.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';

const SPEC_ID = 'https://tracklog.local/openapi.json';

interface Spec {
  paths: Record<
    string,
    Record<string, { operationId: string; responses: Record<string, { $ref?: string; content?: unknown }> }>
  >;
  components: { responses: Record<string, { content?: unknown }> };
}

const spec = parse(readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8')) as Spec;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...spec, $id: SPEC_ID });

function responsePointer(operationId: string, status: number): string {
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (op.operationId !== operationId) continue;
      const response = op.responses[String(status)];
      if (!response) throw new Error(`openapi.yaml: ${operationId} documents no ${status} response`);
      const escaped = path.replace(/~/g, '~0').replace(/\//g, '~1');
      const base = response.$ref ?? `#/paths/${escaped}/${method}/responses/${status}`;
      return `${base}/content/application~1json/schema`;
    }
  }
  throw new Error(`openapi.yaml has no operation ${operationId}`);
}

/** Returns the validation errors (empty when the body matches the documented schema). */
export function openApiErrors(operationId: string, status: number, body: unknown): string[] {
  const validate = ajv.compile({ $ref: `${SPEC_ID}${responsePointer(operationId, status)}` });
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
