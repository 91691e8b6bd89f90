import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { useAgentEvents } from '../../events.ts';
import { navigate, useRoute } from '../../router.ts';
import { useSession } from '../../session.tsx';
import { Button } from '../../ui/button.tsx';
import { ChannelIcon, channelLabel } from '../../ui/channel-icon.tsx';
import { EmptyState } from '../../ui/empty-state.tsx';
import { ErrorText } from '../../ui/error-text.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { Composer } from './composer.tsx';
import { EmailView } from './email-view.tsx';
import { TelegramView } from './telegram-view.tsx';
import {
  type CustomerMessage,
  type PlaygroundInfo,
  SANDBOX_CHANNELS,
  type SandboxChannel,
  type SandboxProfile,
  type Transcript,
} from './types.ts';
import { WhatsAppView } from './whatsapp-view.tsx';
import './playground.css';

/** While a reply is on its way, the transcript is also re-read this often (the event stream is the fast path). */
const POLL_MS = 1500;

const RENDERS_AS: Record<string, string> = {
  cloud_api: 'the WhatsApp Cloud API (Meta, 360dialog)',
  twilio: "Twilio's WhatsApp API",
  telegram: 'the Telegram Bot API (HTML)',
  mime: 'the MIME mail an SMTP server receives',
};

function profileText(profile: SandboxProfile | undefined): string {
  if (!profile) return '';
  const limit = profile.text_limit ? `, ${profile.text_limit} characters per message` : '';
  return `Sandbox provider: replies are rendered as ${RENDERS_AS[profile.renders_as] ?? profile.renders_as}${limit}.`;
}

/** Replies still coming: the customer's message is unanswered, or a part is not delivered yet. */
function awaiting(transcript: Transcript | undefined): { typing: boolean; pending: boolean } {
  const messages = transcript?.messages ?? [];
  const last = messages.at(-1);
  if (!transcript?.conversation || transcript.conversation.status !== 'active' || !last) {
    return { typing: false, pending: false };
  }
  const typing = last.direction === 'inbound' && !transcript.conversation.handoff;
  const undelivered = messages.some(
    (m) => m.direction === 'outbound' && (m.status === 'queued' || m.status === 'sent'),
  );
  return { typing, pending: typing || undelivered };
}

/** The customer's next email: a reply in the thread (Re: subject, In-Reply-To the agent's last mail) or a new one. */
function emailFields(transcript: Transcript | undefined, subject: string): Omit<CustomerMessage, 'text'> {
  const messages = transcript?.conversation?.status === 'active' ? transcript.messages : [];
  const first = messages.find((m) => m.direction === 'inbound');
  const lastSent = [...messages].reverse().find((m) => m.rendered?.headers?.message_id);
  if (!first) return { subject: subject.trim() };
  const threadSubject = String(first.metadata?.email?.subject ?? subject).replace(/^(re:\s*)+/i, '');
  return {
    subject: `Re: ${threadSubject}`,
    ...(lastSent ? { in_reply_to: lastSent.rendered?.headers?.message_id } : {}),
  };
}

export default function PlaygroundPage() {
  const s = useSession();
  const route = useRoute();
  const channel: SandboxChannel = (SANDBOX_CHANNELS as string[]).includes(route.params[0] ?? '')
    ? (route.params[0] as SandboxChannel)
    : 'whatsapp';
  const base = s.agentPath ? `${s.agentPath}/playground` : undefined;
  const [info, setInfo] = useState<PlaygroundInfo>();
  const [transcript, setTranscript] = useState<Transcript>();
  const [error, setError] = useState<unknown>();
  const [subject, setSubject] = useState('Question about my order');
  // One read at a time (a slow server never piles them up); a refresh asked for meanwhile runs right after, and an
  // answer for another channel or agent than the one shown is dropped.
  const shown = useRef('');
  const reading = useRef(false);
  const again = useRef(false);
  const read = useRef<() => void>(() => {});
  read.current = () => {
    if (!base) return;
    const key = `${base}/${channel}`;
    shown.current = key;
    if (reading.current) return void (again.current = true);
    reading.current = true;
    api<{ data: Transcript }>('GET', `${key}/transcript?limit=100`)
      .then(
        (res) => shown.current === key && (setTranscript(res.data), setError(undefined)),
        (err: unknown) => shown.current === key && setError(err),
      )
      .finally(() => {
        reading.current = false;
        if (again.current) {
          again.current = false;
          read.current();
        }
      });
  };
  const refresh = useCallback(() => read.current(), []);

  useEffect(() => {
    setTranscript(undefined);
    refresh();
  }, [base, channel, refresh]);
  useEffect(() => {
    if (!base) return;
    api<{ data: PlaygroundInfo }>('GET', base).then((res) => setInfo(res.data), setError);
  }, [base]);

  const conversationId = transcript?.conversation?._id;
  useAgentEvents(s.agentPath, (event) => {
    if (event.type === 'resync' || !conversationId || event.conversation_id === conversationId) refresh();
  });
  const { typing, pending } = awaiting(transcript);
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(refresh, POLL_MS);
    return () => clearInterval(timer);
  }, [pending, refresh]);

  const send = async (message: CustomerMessage) => {
    if (!base) return;
    const body = channel === 'email' ? { ...message, ...emailFields(transcript, subject) } : message;
    await api('POST', `${base}/${channel}/messages`, body);
    refresh();
  };
  const restart = async () => {
    if (!s.agentPath || !conversationId) return;
    try {
      await api('POST', `${s.agentPath}/conversations/${conversationId}/close`);
      refresh();
    } catch (err) {
      setError(err);
    }
  };

  if (!s.agent) {
    return (
      <EmptyState title="Playground">
        Choose an agent above (or create one in Settings) to talk to it as a customer.
      </EmptyState>
    );
  }
  const canWrite = s.can('member');
  const pick = canWrite ? (value: string) => void send({ text: value }).catch(setError) : undefined;
  const active = transcript?.conversation?.status === 'active' ? transcript : undefined;
  const messages = active?.messages ?? [];
  const customer = transcript
    ? channel === 'email'
      ? `${transcript.from}@sandbox.invalid`
      : transcript.from
    : '';

  return (
    <div class="playground">
      <header class="playground-head">
        <h1>Playground</h1>
        <p class="muted">
          Talk to <strong>{s.agent.name}</strong> as a customer. Your message goes through the real
          conversation engine; the reply goes to a built-in sandbox instead of a provider, so you see it
          exactly as the channel shows it — no accounts, nothing sent anywhere.
        </p>
      </header>
      <nav class="playground-channels" aria-label="Channel">
        {SANDBOX_CHANNELS.map((name) => (
          <a
            href={`#/playground/${name}`}
            class="playground-tab"
            aria-current={name === channel ? 'page' : undefined}
            onClick={(e) => (e.preventDefault(), navigate(`#/playground/${name}`))}
          >
            <ChannelIcon channel={name} /> {channelLabel(name)}
          </a>
        ))}
      </nav>
      <section class={`playground-panel panel-${channel}`} aria-label={`${channelLabel(channel)} playground`}>
        <div class="panel-bar">
          <p class="panel-profile muted">{profileText(info?.channels.find((p) => p.channel === channel))}</p>
          {canWrite && active ? (
            <Button variant="ghost" onClick={() => void restart()}>
              New conversation
            </Button>
          ) : null}
        </div>
        <ErrorText error={error} />
        {!transcript && !error ? <Spinner label="Loading the conversation…" /> : null}
        {transcript && messages.length === 0 ? (
          <p class="panel-empty">
            {canWrite
              ? `Write below as a customer on ${channelLabel(channel)} to see how the agent answers there.`
              : 'No playground conversation on this channel yet. Members can write here as a customer.'}
          </p>
        ) : null}
        {messages.length > 0 ? (
          channel === 'whatsapp' ? (
            <WhatsAppView messages={messages} onPick={pick} />
          ) : channel === 'telegram' ? (
            <TelegramView messages={messages} onPick={pick} />
          ) : (
            <EmailView messages={messages} customer={customer} />
          )
        ) : null}
        {typing ? (
          <p class="typing" role="status">
            The agent is answering…
          </p>
        ) : null}
        {canWrite ? (
          <Composer
            channel={channel}
            customer={customer}
            subject={channel === 'email' && messages.length === 0 ? subject : undefined}
            onSubject={setSubject}
            replySubject={
              channel === 'email' && messages.length > 0 ? emailFields(active, subject).subject : undefined
            }
            onSend={(text) => send({ text })}
          />
        ) : null}
      </section>
    </div>
  );
}
