/** The EventBridge client, created once; its endpoint comes from the standard AWS environment. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const eventBridge = new EventBridgeClient({});
