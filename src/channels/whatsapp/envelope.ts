import type { InboundEvent, InboundStatusEvent } from '../types.ts';
import { echoEvent, isoOf, messageEvent, type Obj, obj, objects, str } from './inbound-message.ts';

/**
 * The Cloud API webhook envelope (Meta and 360dialog alike, providers.md §3.4 and §13):
 * `{object, entry[]: {id, changes[]: {field, value}}}`. Every entry, change and array element is read; any
 * field may be missing. Parsing is pure: no I/O, nothing trusted beyond the shape.
 */

/** Upper bound on entries, changes and elements read from one body. */
const MAX_ELEMENTS = 1000;

/** Fields whose `value` carries messages, statuses or echoes. */
const MESSAGE_FIELDS = new Set(['messages', 'smb_message_echoes']);

const STATUSES = new Set(['sent', 'delivered', 'read', 'played', 'failed']);

/** Meta's "re-engagement required" code: the 24-hour window was closed. */
export const OUTSIDE_WINDOW_CODE = 131047;

/** One `entry[].changes[]` element with the business number it belongs to. */
export type CloudChange = { field: string; value: Obj; phoneNumberId?: string };

/** Every change in the body, in order. */
export function changesOf(body: unknown): CloudChange[] {
  const changes: CloudChange[] = [];
  for (const entry of objects(obj(body)?.entry, MAX_ELEMENTS)) {
    for (const change of objects(entry.changes, MAX_ELEMENTS)) {
      const value = obj(change.value);
      const field = str(change.field);
      if (!value || !field) continue;
      const phoneNumberId = str(obj(value.metadata)?.phone_number_id);
      changes.push({ field, value, ...(phoneNumberId ? { phoneNumberId } : {}) });
      if (changes.length >= MAX_ELEMENTS) return changes;
    }
  }
  return changes;
}

/** The business phone number ids a body speaks for (app-level routing). */
export const phoneNumberIdsOf = (body: unknown): string[] => [
  ...new Set(changesOf(body).flatMap((change) => (change.phoneNumberId ? [change.phoneNumberId] : []))),
];

function statusEvent(status: Obj): InboundStatusEvent | undefined {
  const id = str(status.id);
  const state = str(status.status);
  if (!id || !state || !STATUSES.has(state)) return undefined;
  const error = objects(status.errors, 10)[0];
  const code = error ? Number(error.code ?? 0) : 0;
  const at = isoOf(status.timestamp);
  return {
    kind: 'status',
    eventId: `${id}:${state}`,
    providerMessageId: id,
    status: state as InboundStatusEvent['status'],
    ...(at ? { at } : {}),
    ...(error
      ? {
          error: {
            code: String(code || 'failed'),
            message:
              str(obj(error.error_data)?.details) ?? str(error.title) ?? str(error.message) ?? 'failed',
          },
        }
      : {}),
    ...(code === OUTSIDE_WINDOW_CODE ? { outsideWindow: true } : {}),
  };
}

/**
 * The events of a body: user messages (and edits, identity changes), delivery statuses and coexistence echoes.
 * With `phoneNumberId`, only changes for that business number are read (one Meta app serves many numbers).
 */
export function parseCloudEnvelope(body: unknown, options: { phoneNumberId?: string } = {}): InboundEvent[] {
  const events: InboundEvent[] = [];
  for (const { field, value, phoneNumberId } of changesOf(body)) {
    if (!MESSAGE_FIELDS.has(field)) continue;
    if (options.phoneNumberId && phoneNumberId !== options.phoneNumberId) continue;
    const contacts = objects(value.contacts, MAX_ELEMENTS);
    for (const message of objects(value.messages, MAX_ELEMENTS)) {
      const event = messageEvent(message, contacts);
      if (event) events.push(event);
    }
    for (const echo of objects(value.message_echoes, MAX_ELEMENTS)) {
      const event = echoEvent(echo);
      if (event) events.push(event);
    }
    for (const status of objects(value.statuses, MAX_ELEMENTS)) {
      const event = statusEvent(status);
      if (event) events.push(event);
    }
  }
  return events;
}
