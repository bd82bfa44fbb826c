// The event buses serverless.yml declares (AWS::Events::EventBus), created in the sandbox account the way
// CloudFormation creates them in AWS; a bus kept from an earlier run is left as it is.
import {
  CreateEventBusCommand,
  EventBridgeClient,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';

/** logical id → bus name, for the buses the template declares. */
export function declaredEventBuses(resources: Record<string, unknown>): Record<string, string> {
  const buses: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    const { Type, Properties } = (resource ?? {}) as { Type?: unknown; Properties?: { Name?: unknown } };
    if (Type !== 'AWS::Events::EventBus') continue;
    if (typeof Properties?.Name !== 'string') {
      throw new Error(
        `serverless.yml: resources.Resources.${logicalId} (AWS::Events::EventBus) needs a Name`,
      );
    }
    buses[logicalId] = Properties.Name;
  }
  return buses;
}

/** Creates each bus on the EventBridge the SDK's environment points at (the sandbox's). */
export async function ensureEventBuses(names: readonly string[], region: string): Promise<void> {
  if (names.length === 0) return;
  const client = new EventBridgeClient({ region });
  try {
    for (const name of names) {
      try {
        await client.send(new CreateEventBusCommand({ Name: name }));
      } catch (error) {
        if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      }
    }
  } finally {
    client.destroy();
  }
}
