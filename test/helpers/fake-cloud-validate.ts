/**
 * Request validation of the WhatsApp Cloud API's POST /messages, shared by the fake Graph API and the fake
 * 360dialog (providers.md §3.2, §3.6): Meta's error codes for missing or invalid parameters and per-type limits.
 */

/**
 * A Meta error as the fake answers it: HTTP status, code, title and details; optionally a Retry-After header,
 * or a raw body instead of Meta's JSON (a proxy's HTML page, an empty body).
 */
export type GraphFailure = {
  status: number;
  code: number;
  title: string;
  details?: string;
  retryAfter?: string;
  raw?: { body: string; contentType: string };
};

export class GraphError extends Error {
  readonly failure: GraphFailure;
  constructor(failure: GraphFailure) {
    super(failure.title);
    this.failure = failure;
  }
}

const invalid = (details: string, code = 100) =>
  new GraphError({
    status: 400,
    code,
    title: code === 100 ? 'Invalid parameter' : 'Parameter value is not valid',
    details,
  });

/** Meta's error body (providers.md §3.3). */
export const errorBody = (failure: GraphFailure) => ({
  error: {
    message: `(#${failure.code}) ${failure.title}`,
    type: 'OAuthException',
    code: failure.code,
    error_data: { messaging_product: 'whatsapp', details: failure.details ?? failure.title },
    fbtrace_id: `A${Math.random().toString(36).slice(2, 12)}`,
  },
});

type Json = Record<string, any>;
const len = (value: unknown) => (typeof value === 'string' ? [...value].length : -1);

function requireText(value: unknown, field: string, max: number) {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`Param ${field} is required`, 131008);
  if (len(value) > max) throw invalid(`Param ${field} must be at most ${max} characters long`);
}

function media(body: Json, type: string) {
  const object = body[type] as Json | undefined;
  if (!object || (!object.link && !object.id))
    throw invalid(`Param ${type} must have either id or link`, 131008);
  if (object.link && !/^https?:\/\//.test(String(object.link)))
    throw invalid(`Param ${type}['link'] is not a valid URL`);
  if (object.caption !== undefined) {
    if (type === 'audio' || type === 'sticker') throw invalid(`Param ${type}['caption'] is not allowed`);
    requireText(object.caption, `${type}['caption']`, 1024);
  }
}

function interactive(body: Json) {
  const object = body.interactive as Json | undefined;
  if (!object) throw invalid('Param interactive is required', 131008);
  requireText(object.body?.text, "interactive['body']['text']", 1024);
  if (object.type === 'button') {
    const buttons = (object.action?.buttons ?? []) as Json[];
    if (buttons.length < 1 || buttons.length > 3)
      throw invalid('Buttons count must be between 1 and 3', 131009);
    const ids = new Set<string>();
    const titles = new Set<string>();
    for (const button of buttons) {
      if (button.type !== 'reply') throw invalid("Param button['type'] must be reply", 131009);
      requireText(button.reply?.title, "button['title']", 20);
      requireText(button.reply?.id, "button['id']", 256);
      if (ids.has(button.reply.id) || titles.has(button.reply.title))
        throw invalid('Button title and id must be unique', 131009);
      ids.add(button.reply.id);
      titles.add(button.reply.title);
    }
    return;
  }
  if (object.type === 'list') {
    requireText(object.action?.button, "action['button']", 20);
    const sections = (object.action?.sections ?? []) as Json[];
    if (sections.length < 1 || sections.length > 10)
      throw invalid('Sections count must be between 1 and 10', 131009);
    const rows = sections.flatMap((section) => {
      if (sections.length > 1) requireText(section.title, "section['title']", 24);
      return (section.rows ?? []) as Json[];
    });
    if (rows.length < 1 || rows.length > 10)
      throw invalid('Total row count must be between 1 and 10', 131009);
    const ids = new Set<string>();
    for (const row of rows) {
      requireText(row.title, "row['title']", 24);
      requireText(row.id, "row['id']", 200);
      if (row.description !== undefined) requireText(row.description, "row['description']", 72);
      if (ids.has(row.id)) throw invalid('Row ids must be unique', 131009);
      ids.add(row.id);
    }
    return;
  }
  throw invalid(`Param interactive['type'] is not supported: ${String(object.type)}`, 131009);
}

function template(body: Json) {
  const object = body.template as Json | undefined;
  requireText(object?.name, "template['name']", 512);
  requireText(object?.language?.code, "template['language']['code']", 16);
  for (const component of (object?.components ?? []) as Json[]) {
    for (const parameter of (component.parameters ?? []) as Json[]) {
      if (parameter.type === 'text') requireText(parameter.text, "parameter['text']", 32768);
    }
  }
}

/** The kinds of POST /messages body: a send, or a mark-read (optionally with the typing indicator). */
export type MessagesRequest =
  | { kind: 'send'; type: string; to: string; body: Json }
  | { kind: 'read'; messageId: string; typing: boolean };

/** Validates a POST /messages body as the Cloud API does; throws GraphError with Meta's codes. */
export function validateMessages(body: Json): MessagesRequest {
  if (body.messaging_product !== 'whatsapp')
    throw invalid('The parameter messaging_product is required.', 100);
  if (body.status !== undefined) {
    if (body.status !== 'read') throw invalid("Param status must be 'read'", 100);
    requireText(body.message_id, 'message_id', 256);
    if (body.typing_indicator !== undefined && body.typing_indicator?.type !== 'text')
      throw invalid("Param typing_indicator['type'] must be 'text'", 100);
    return { kind: 'read', messageId: body.message_id, typing: body.typing_indicator !== undefined };
  }
  const to =
    typeof body.to === 'string' ? body.to : typeof body.recipient === 'string' ? body.recipient : undefined;
  if (!to) throw invalid('The parameter to is required.', 100);
  const type = body.type ?? 'text';
  switch (type) {
    case 'text':
      requireText(body.text?.body, "text['body']", 4096);
      if (body.text.preview_url !== undefined && typeof body.text.preview_url !== 'boolean')
        throw invalid("Param text['preview_url'] must be a boolean");
      break;
    case 'image':
    case 'document':
    case 'audio':
    case 'video':
    case 'sticker':
      media(body, type);
      break;
    case 'interactive':
      interactive(body);
      break;
    case 'template':
      template(body);
      break;
    case 'location':
      if (typeof body.location?.latitude !== 'number' || typeof body.location?.longitude !== 'number')
        throw invalid("Param location['latitude'] and ['longitude'] are required", 131008);
      break;
    default:
      throw invalid(`Param type is not supported: ${String(type)}`, 100);
  }
  if (body.context !== undefined) requireText(body.context?.message_id, "context['message_id']", 256);
  return { kind: 'send', type, to, body };
}
