import { Button } from '../../ui/button.tsx';

/** No channel yet: the spec's fastest start, Telegram in three steps. */
export function TelegramQuickStart(props: { onStart: () => void }) {
  return (
    <section class="quick-start" aria-labelledby="quick-start-heading">
      <h2 id="quick-start-heading">No channels configured yet: start with Telegram</h2>
      <p>It needs no business account and takes about two minutes.</p>
      <ol class="quick-start-steps">
        <li>
          <strong>Get a bot token.</strong> In Telegram, open{' '}
          <a href="https://t.me/botfather" target="_blank" rel="noopener noreferrer">
            @BotFather
          </a>
          , send <code>/newbot</code> and follow the prompts. It prints a token like{' '}
          <code>123456789:ABCdef…</code>.
        </li>
        <li>
          <strong>Paste it below</strong> in the Telegram form and save.
        </li>
        <li>
          <strong>Set the webhook</strong> with the button under the form, then message your bot: the agent
          answers.
        </li>
      </ol>
      <Button variant="primary" onClick={props.onStart}>
        Set up Telegram
      </Button>
    </section>
  );
}
