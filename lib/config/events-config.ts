// Configuration of the status event publisher Lambda, validated once at cold start.
import * as z from 'zod/mini';
import { REGION_PATTERN } from '../domain/names.js';
import '../domain/validation-locale.js';

/** A bus name, or the ARN of one (arn:aws:events:<region>:<account>:event-bus/<name>). */
const EVENT_BUS =
  /^(?:[/.\-_A-Za-z0-9]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[/.\-_A-Za-z0-9]{1,256})$/;

const eventsEnv = z.object({
  EVENT_BUS_NAME: z
    .string({ error: 'set EVENT_BUS_NAME to the name or ARN of the event bus status events go to' })
    .check(
      z.regex(EVENT_BUS, {
        error: 'EVENT_BUS_NAME must be an event bus name (1..256 of A-Z a-z 0-9 / . - _) or an event-bus ARN',
      }),
    ),
  AWS_REGION: z
    .string({ error: 'set AWS_REGION (Lambda sets it; locally export it, e.g. us-east-1)' })
    .check(z.regex(REGION_PATTERN, { error: 'AWS_REGION must be a region code such as us-east-1' })),
});

export interface EventsConfig {
  eventBusName: string;
  region: string;
}

export function loadEventsConfig(env: Record<string, string | undefined> = process.env): EventsConfig {
  const result = eventsEnv.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid irsa-broker event publisher configuration:\n  ${problems.join('\n  ')}`);
  }
  return { eventBusName: result.data.EVENT_BUS_NAME, region: result.data.AWS_REGION };
}
