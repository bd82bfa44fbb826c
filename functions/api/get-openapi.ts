// GET /v1/openapi.json: the document is generated once per cold start.
import { openApiHandler } from '../../lib/http/handlers/static-handlers.js';
import { buildOpenApiDocument } from '../../lib/openapi/openapi-document.js';

export const handler = openApiHandler(buildOpenApiDocument());
