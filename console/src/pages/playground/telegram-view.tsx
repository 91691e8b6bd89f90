import { Bubble, FileLine, QuickReplies, useScrolledToEnd } from './bubbles.tsx';
import { SafeHtml, TELEGRAM_TAGS } from './safe-html.tsx';
import type { PlaygroundMessage } from './types.ts';

/** A Telegram chat with the bot: each reply is the Bot API call's HTML, sanitized, with its inline keyboard. */
export function TelegramView(props: {
  messages: PlaygroundMessage[];
  onPick?: ((value: string) => void) | undefined;
}) {
  const list = useScrolledToEnd(props.messages.length);
  return (
    <ol ref={list} class="chat chat-telegram" aria-label="Telegram chat">
      {props.messages.map((message) => {
        if (message.direction === 'inbound') {
          return (
            <Bubble key={message._id} message={message} class="tg-out">
              {message.content}
            </Bubble>
          );
        }
        const call = message.rendered?.request;
        const params = call?.params ?? {};
        const keyboard: { text: string; callback_data: string }[] = (
          params.reply_markup?.inline_keyboard ?? []
        ).flat();
        const options = keyboard.map((b) => ({ label: b.text, value: b.callback_data }));
        let body;
        if (!call) body = <span class="muted">{message.content}</span>;
        else if (call.method === 'sendMessage')
          body =
            params.parse_mode === 'HTML' ? (
              <SafeHtml html={String(params.text ?? '')} allowed={TELEGRAM_TAGS} class="tg-html" />
            ) : (
              String(params.text ?? '')
            );
        else
          body = (
            <FileLine
              kind={call.method === 'sendPhoto' ? 'Photo' : 'Document'}
              url={String(params.photo ?? params.document ?? '')}
              name={params.caption}
            />
          );
        return (
          <Bubble
            key={message._id}
            message={message}
            class="tg-in"
            after={<QuickReplies options={options} onPick={props.onPick} kind="tg-keyboard" />}
          >
            {body}
          </Bubble>
        );
      })}
    </ol>
  );
}
