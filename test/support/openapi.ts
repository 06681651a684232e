// Checks real responses against openapi.yaml: the response schema of an operation and status is
// compiled with Ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) and must accept the body. Also reads
// the contract's paths, methods and parameters, for the tests that hold the code to them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';

const SPEC_ID = 'https://tracklog.local/openapi.json';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  allowEmptyValue?: boolean;
  schema: Record<string, unknown>;
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  responses: Record<string, { $ref?: string; content?: unknown }>;
}

interface Spec {
  /** Each path's operations by method, beside path-level fields such as `description`. */
  paths: Record<string, Record<string, Operation | string>>;
  components: {
    responses: Record<string, { content?: unknown; headers?: Record<string, unknown> }>;
    parameters: Record<string, Parameter>;
  };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const spec = parse(readFileSync(join(__dirname, '..', '..', 'openapi.yaml'), 'utf8')) as Spec;
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ ...spec, $id: SPEC_ID });

/** Every operation of the contract with its path and (lower-case) method. */
function operations(): { path: string; method: string; op: Operation }[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter((entry): entry is [string, Operation] => HTTP_METHODS.has(entry[0]))
      .map(([method, op]) => ({ path, method, op })),
  );
}

/** The contract's paths and the methods (upper-case) each declares. */
export function contractRoutes(): Record<string, string[]> {
  const routes: Record<string, string[]> = {};
  for (const { path, method } of operations()) routes[path] = [...(routes[path] ?? []), method.toUpperCase()];
  return routes;
}

/** A parameter of an operation, its `$ref` resolved. */
export function parameter(operationId: string, name: string): Parameter {
  const op = operations().find((o) => o.op.operationId === operationId)?.op;
  if (!op) throw new Error(`openapi.yaml has no operation ${operationId}`);
  for (const p of op.parameters ?? []) {
    const resolved = '$ref' in p ? spec.components.parameters[p.$ref.split('/').pop() ?? ''] : p;
    if (resolved?.name === name) return resolved;
  }
  throw new Error(`openapi.yaml: ${operationId} has no parameter ${name}`);
}

/** A parameter's schema, as the contract gives it. */
export function parameterSchema(operationId: string, name: string): Record<string, unknown> {
  return parameter(operationId, name).schema;
}

/** A reusable response of the contract (components/responses). */
export function contractResponse(name: string): { content?: unknown; headers?: Record<string, unknown> } {
  const response = spec.components.responses[name];
  if (!response) throw new Error(`openapi.yaml has no response ${name}`);
  return response;
}

function responsePointer(operationId: string, status: number): string {
  for (const { path, method, op } of operations()) {
    if (op.operationId !== operationId) continue;
    const response = op.responses[String(status)];
    if (!response) throw new Error(`openapi.yaml: ${operationId} documents no ${status} response`);
    const escaped = path.replace(/~/g, '~0').replace(/\//g, '~1');
    const base = response.$ref ?? `#/paths/${escaped}/${method}/responses/${status}`;
    return `${base}/content/application~1json/schema`;
  }
  throw new Error(`openapi.yaml has no operation ${operationId}`);
}

function errorsOf(pointer: string, body: unknown): string[] {
  const validate = ajv.compile({ $ref: `${SPEC_ID}${pointer}` });
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Returns the validation errors (empty when the body matches the documented schema). */
export function openApiErrors(operationId: string, status: number, body: unknown): string[] {
  return errorsOf(responsePointer(operationId, status), body);
}

/** The same for a reusable response, such as MethodNotAllowed, that no operation lists. */
export function componentResponseErrors(name: string, body: unknown): string[] {
  contractResponse(name);
  return errorsOf(`#/components/responses/${name}/content/application~1json/schema`, body);
}
