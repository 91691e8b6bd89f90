import { Bubble, FileLine, QuickReplies, useScrolledToEnd } from './bubbles.tsx';
import type { PlaygroundMessage, Rendered } from './types.ts';
import { WhatsAppText } from './whatsapp-markup.tsx';

type Shown = { text?: string; file?: { kind: string; url: string; name?: string }; options: Option[] };
type Option = { label: string; value: string };

/** What a WhatsApp user sees from a Cloud API body or a Twilio form. */
function shown(rendered: Rendered): Shown {
  const form = rendered.request?.form;
  if (form) {
    if (form.MediaUrl)
      return { file: { kind: 'Attachment', url: form.MediaUrl, name: form.Body }, options: [] };
    return { text: form.Body ?? '', options: [] };
  }
  const body = rendered.request?.body ?? {};
  if (body.type === 'image' || body.type === 'document') {
    const image = body.type === 'image';
    const file = (image ? body.image : body.document) ?? {};
    const name = image ? body.image?.caption : body.document?.filename;
    return {
      file: { kind: image ? 'Photo' : 'Document', url: file.link ?? '', ...(name ? { name } : {}) },
      options: [],
    };
  }
  if (body.type === 'interactive') {
    const interactive = body.interactive ?? {};
    const text = interactive.body?.text ?? '';
    if (interactive.type === 'button') {
      const options = (interactive.action?.buttons ?? []).map((b) => ({
        label: b.reply.title,
        value: b.reply.id,
      }));
      return { text, options };
    }
    const rows = (interactive.action?.sections ?? []).flatMap((s) => s.rows ?? []);
    return { text, options: rows.map((r) => ({ label: r.title, value: r.id })) };
  }
  return { text: body.text?.body ?? '', options: [] };
}

/** A WhatsApp chat as the customer's phone shows it. */
export function WhatsAppView(props: {
  messages: PlaygroundMessage[];
  onPick?: ((value: string) => void) | undefined;
}) {
  const list = useScrolledToEnd(props.messages.length);
  return (
    <ol ref={list} class="chat chat-whatsapp" aria-label="WhatsApp chat">
      {props.messages.map((message) => {
        if (message.direction === 'inbound') {
          return (
            <Bubble key={message._id} message={message} class="wa-out">
              {message.content}
            </Bubble>
          );
        }
        const view = message.rendered ? shown(message.rendered) : undefined;
        return (
          <Bubble
            key={message._id}
            message={message}
            class="wa-in"
            after={
              view ? <QuickReplies options={view.options} onPick={props.onPick} kind="wa-buttons" /> : null
            }
          >
            {!view ? (
              <span class="muted">{message.content}</span>
            ) : view.file ? (
              <FileLine {...view.file} />
            ) : (
              <WhatsAppText text={view.text ?? ''} />
            )}
          </Bubble>
        );
      })}
    </ol>
  );
}
