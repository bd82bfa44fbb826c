// DynamoDB stream → Lambda → EventBridge: the status changes of bindings as events; composition root.
import { createEventBridgePublisher } from '../../lib/adapters/aws/eventbridge-publisher.js';
import { statusEventsHandler } from '../../lib/composition/status-events-handler.js';
import { loadEventsConfig } from '../../lib/config/events-config.js';

export const handler = statusEventsHandler({ publisher: createEventBridgePublisher(loadEventsConfig()) });
