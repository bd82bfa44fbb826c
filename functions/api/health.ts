// GET /v1/health: liveness.
import { healthHandler } from '../../lib/http/handlers/static-handlers.js';

export const handler = healthHandler();
