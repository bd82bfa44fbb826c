// Writes docs/status-event.schema.json, the JSON Schema of a binding status event on the bus, from the
// schema the OpenAPI document uses (`npm run docs:events`; a unit test fails while the file is stale).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { statusEventJsonSchema } from '../lib/openapi/event-schemas.js';

const target = fileURLToPath(new URL('../docs/status-event.schema.json', import.meta.url));
await writeFile(target, `${JSON.stringify(statusEventJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target}`);
