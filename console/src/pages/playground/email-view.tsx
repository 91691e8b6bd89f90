import { useState } from 'preact/hooks';
import { deliveryText } from './bubbles.tsx';
import { EMAIL_TAGS, SafeHtml } from './safe-html.tsx';
import type { PlaygroundMessage, Rendered } from './types.ts';

const when = (iso: string) => new Date(iso).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

const VIEWS = [
  ['html', 'HTML'],
  ['text', 'Plain text'],
  ['mime', 'MIME source'],
] as const;
type View = (typeof VIEWS)[number][0];

function Headers(props: { rows: [string, string | undefined][] }) {
  return (
    <dl class="mail-headers">
      {props.rows
        .filter((row): row is [string, string] => Boolean(row[1]))
        .map(([name, value]) => (
          <div class="mail-header">
            <dt>{name}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

/** The agent's mail as sent: its headers, then the HTML part (sanitized), the text part, or the raw MIME. */
function SentMail(props: { message: PlaygroundMessage; rendered: Rendered }) {
  const [view, setView] = useState<View>('html');
  const { headers = {}, html = '', text = '', mime = '' } = props.rendered;
  return (
    <>
      <Headers
        rows={[
          ['From', headers.from],
          ['To', headers.to],
          ['Subject', headers.subject],
          ['Message-ID', headers.message_id],
          ['In-Reply-To', headers.in_reply_to],
          ['References', headers.references],
          ['Auto-Submitted', headers.auto_submitted],
        ]}
      />
      <div class="mail-views" role="group" aria-label="Show the mail as">
        {VIEWS.map(([id, label]) => (
          <button
            type="button"
            class="mail-view-button"
            aria-pressed={view === id}
            onClick={() => setView(id)}
          >
            {label}
          </button>
        ))}
      </div>
      {view === 'html' ? (
        <SafeHtml html={html} allowed={EMAIL_TAGS} class="mail-body mail-html" />
      ) : (
        <pre class={`mail-body mail-${view}`}>{view === 'text' ? text : mime}</pre>
      )}
      {props.rendered.attachments?.length ? (
        <p class="muted">
          Attachments (linked, not fetched by the sandbox):{' '}
          {props.rendered.attachments.map((a) => a.name ?? a.url).join(', ')}
        </p>
      ) : null}
    </>
  );
}

/** An email thread: the customer's mails and the agent's replies exactly as the mail server receives them. */
export function EmailView(props: { messages: PlaygroundMessage[]; customer: string }) {
  return (
    <ol class="mail-thread" aria-label="Email thread">
      {props.messages.map((message) => {
        const mine = message.direction === 'inbound';
        const email = message.metadata?.email ?? {};
        return (
          <li key={message._id} class={`mail ${mine ? 'mail-customer' : 'mail-agent'}`}>
            <article aria-label={mine ? 'Your mail (customer)' : "Agent's reply"}>
              <p class="mail-when">
                {mine ? 'You (customer)' : 'Agent'} · {when(message.created_at)}
                {mine ? null : (
                  <span class={`delivery delivery-${message.status}`}> · {deliveryText(message)}</span>
                )}
              </p>
              {mine ? (
                <>
                  <Headers
                    rows={[
                      ['From', props.customer],
                      ['Subject', email.subject || '(no subject)'],
                      ['In-Reply-To', email.in_reply_to ? `<${email.in_reply_to}>` : undefined],
                    ]}
                  />
                  <pre class="mail-body mail-text">{message.content}</pre>
                </>
              ) : message.rendered ? (
                <SentMail message={message} rendered={message.rendered} />
              ) : (
                <pre class="mail-body mail-text muted">{message.content}</pre>
              )}
            </article>
          </li>
        );
      })}
    </ol>
  );
}
