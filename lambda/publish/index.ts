/**
 * The publisher's surface for the operator tools (scripts/): re-publish stored items exactly as
 * the stream handler publishes new ones. Everything else in this folder is the function's own.
 */
export {
  type ItemsPublished,
  type PublishDeps,
  type PublishLogger,
  publishItems,
} from './publish-call-events';
