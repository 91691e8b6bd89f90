import { ChannelIcon } from '../../ui/channel-icon.tsx';
import { StatusTicks } from '../../ui/status-ticks.tsx';
import { fullTime } from './format.ts';
import type { Attachment, Message } from './types.ts';

/** Who wrote a message, in the operator's words. */
export function authorOf(message: Message, names: { contact: string; operator: (userId: string) => string }) {
  switch (message.role) {
    case 'user':
      return names.contact;
    case 'assistant':
      return 'Agent';
    case 'human':
      return message.user_id ? names.operator(message.user_id) : 'Operator';
    default:
      return 'System';
  }
}

const isImage = (a: Attachment) =>
  a.type === 'image' || a.type === 'sticker' || /^image\//.test(a.mime_type ?? '');

/**
 * Inbound files come through the attachments route (the server fetches them from the provider): images inline,
 * others as downloads. Files an operator sent by public URL are links (the console loads nothing from elsewhere).
 */
function AttachmentView(props: { attachment: Attachment; href: string | undefined; proxied: boolean }) {
  const { attachment, href } = props;
  const name = attachment.name ?? `${attachment.type} attachment`;
  if (!href) return <span class="attachment muted">{name} (not downloadable)</span>;
  if (!props.proxied) {
    return (
      <a class="attachment attachment-file" href={href} target="_blank" rel="noopener noreferrer">
        Open {name}
      </a>
    );
  }
  if (isImage(attachment)) {
    return (
      <a class="attachment attachment-image" href={href} target="_blank" rel="noopener">
        <img src={href} alt={attachment.name ?? 'Image'} loading="lazy" />
      </a>
    );
  }
  return (
    <a class="attachment attachment-file" href={href} download={attachment.name ?? ''}>
      Download {name}
      {attachment.size ? ` (${Math.ceil(attachment.size / 1024)} KB)` : ''}
    </a>
  );
}

/** One message: author, channel, time, text, attachments, email subject and delivery ticks. */
export function MessageItem(props: {
  message: Message;
  author: string;
  attachmentPath: (index: number) => string;
}) {
  const { message } = props;
  const subject = typeof message.metadata?.subject === 'string' ? message.metadata.subject : undefined;
  const quoted =
    typeof message.metadata?.full_text === 'string' && message.metadata.full_text !== message.content
      ? message.metadata.full_text
      : undefined;
  return (
    <li class={`message message-${message.role} message-${message.direction}`} data-message={message._id}>
      <div class="message-head">
        <ChannelIcon channel={message.channel} size={14} />
        <span class="message-author">{props.author}</span>
        <time class="muted" dateTime={message.created_at}>
          {fullTime(message.created_at)}
        </time>
        {message.direction === 'outbound' ? (
          <StatusTicks status={message.status} reason={message.error?.message || message.error?.code} />
        ) : null}
      </div>
      {subject ? <p class="message-subject">Subject: {subject}</p> : null}
      {message.content ? <p class="message-text">{message.content}</p> : null}
      {message.attachments.length > 0 ? (
        <div class="message-attachments">
          {message.attachments.map((attachment, index) => (
            <AttachmentView
              key={index}
              attachment={attachment}
              proxied={Boolean(attachment.ref)}
              href={
                attachment.ref
                  ? props.attachmentPath(index)
                  : attachment.url && /^https?:/.test(attachment.url)
                    ? attachment.url
                    : undefined
              }
            />
          ))}
        </div>
      ) : null}
      {quoted ? (
        <details class="message-quoted">
          <summary>Show the full email (quoted thread)</summary>
          <pre>{quoted}</pre>
        </details>
      ) : null}
    </li>
  );
}
