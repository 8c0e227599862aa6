/**
 * The built-in `publish` action: a relay. The inbound JSON body becomes the `data` of
 * an outbound event of the source's project, fanned out to its webhooks like any other.
 */
import type { AppContext } from '../context.js';
import { AppError, type ErrorDetail } from '../errors.js';
import type { ActionHandler, ActionSpec } from './actions.js';
import { MAX_JSON_DEPTH } from '../core/json-depth.js';

export const publishAction: ActionHandler = async (ctx, action, req) => {
  const eventType = String(action.eventType);
  if (req.json === undefined) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', `This source republishes JSON: send a JSON body (Content-Type: application/json), nested at most ${MAX_JSON_DEPTH} levels deep`);
  }
  // The inbound request id is the idempotency key: if the action runs again for the same
  // stored request (the sender retried after a failure), the first event is answered.
  const { event } = await ctx.publisher.publish(req.projectId, {
    type: eventType,
    data: req.json,
    idempotencyKey: `inbound:${req.id}`,
  });
  return { result: { eventId: event.id, eventType, deliveries: event.deliveries.length } };
};

/** Save-time check (422): the event type must be in the project's catalog. */
export async function checkPublishAction(ctx: AppContext, projectId: string, action: Record<string, unknown>): Promise<ErrorDetail[]> {
  const eventType = action.eventType;
  if (typeof eventType !== 'string' || eventType === '') {
    return [{ field: 'action.eventType', message: 'the publish action needs eventType (a name from the event catalog)' }];
  }
  if (!(await ctx.repos.eventTypes.get(projectId, eventType))) {
    const valid = (await ctx.repos.eventTypes.names(projectId)).sort();
    return [{ field: 'action.eventType', message: `unknown event type ${eventType}; add it with POST /v1/event-types first`, valid }];
  }
  return [];
}

export const publish: ActionSpec = { handle: publishAction, check: checkPublishAction };
