import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../../api.ts';
import { Button } from '../../ui/button.tsx';
import { CopyField } from '../../ui/copy-field.tsx';
import { errorText } from '../../ui/error-text.tsx';
import { Field } from '../../ui/field.tsx';
import { Spinner } from '../../ui/spinner.tsx';
import { DetailsList, maskCredentials } from './details-list.tsx';
import { fieldErrors } from './form-state.ts';

/** What to paste where, per provider, in one or two sentences (the API's own instructions follow). */
const PASTE_WHERE: Record<string, string> = {
  telegram:
    'Press Set webhook: the server calls Telegram’s setWebhook with this agent’s URL and the stored secret token. ' +
    'Nothing to paste. Telegram needs HTTPS on port 443, 80, 88 or 8443.',
  twilio:
    'Twilio Console → Messaging → WhatsApp senders (or the Sandbox settings): paste URL into “When a message comes ' +
    'in” (HTTP POST), Fallback URL into the fallback, Status callback URL into the status callback.',
  meta:
    'Meta App Dashboard → WhatsApp → Configuration → Webhook: paste Url as the callback URL, enter the verify token ' +
    'you saved here, then subscribe to the listed fields. Or press Register webhook for a per-number override.',
  '360dialog':
    'Press Register webhook: the server registers this agent’s URL and the secret header with 360dialog.',
  smtp:
    'Have your mail server POST each raw message (message/rfc822) to the inbound URL, with Basic auth or the secret ' +
    'header; or fill in the IMAP mailbox above and the server polls it.',
  sendgrid: 'Paste the inbound parse URL and the event webhook URL into SendGrid as described below.',
  mailgun: 'Create the Mailgun route and webhooks described below; then copy the signing key into the form.',
  ses: 'Follow the SES steps below: receipt rule → SNS topic → subscription to the inbound URL.',
};

type Info = { success: true; webhook_info: Record<string, unknown> };

/** Loads a webhook info route once (and on Refresh); shows it with copyable URLs. */
function useInfo(path: string | undefined) {
  const [info, setInfo] = useState<Record<string, unknown>>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const load = () => {
    if (!path) return;
    setLoading(true);
    setError(undefined);
    api<Info>('GET', path).then(
      (body) => (setInfo(body.webhook_info), setLoading(false)),
      (err: unknown) => (setError(err), setInfo(undefined), setLoading(false)),
    );
  };
  return { info, error, loading, load };
}

function failure(error: unknown) {
  if (!error) return null;
  const details =
    error instanceof ApiError ? (error.body as { details?: unknown } | undefined)?.details : undefined;
  return (
    <div class="test-result test-failed" role="alert">
      <p class="test-headline">{errorText(error)}</p>
      {typeof details === 'string' ? <p class="test-detail">{details}</p> : null}
    </div>
  );
}

/**
 * Registers the webhook with the provider (Telegram setWebhook, 360dialog, Meta override) and reads it back.
 * The URL is optional: the server uses PUBLIC_URL's when it is empty.
 */
export function WebhookSetup(props: { base: string; channel: 'telegram' | 'whatsapp'; agentId: string }) {
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [result, setResult] = useState<{ webhook_url: string; details?: Record<string, unknown> }>();
  const info = useInfo(props.channel === 'telegram' ? `${props.base}/telegram/webhook/info` : undefined);
  const example = `https://your-domain.com/api/v1/channels/webhooks/${props.channel}/${props.agentId}`;
  const label = props.channel === 'telegram' ? 'Set webhook' : 'Register webhook';
  const setup = async () => {
    setBusy(true);
    setFieldError(undefined);
    setError(undefined);
    setResult(undefined);
    try {
      const body = url.trim() ? { webhook_url: url.trim() } : {};
      setResult(await api('POST', `${props.base}/${props.channel}/webhook/setup`, body));
      if (props.channel === 'telegram') info.load();
    } catch (err) {
      const placed =
        err instanceof ApiError && err.status === 400
          ? (fieldErrors(props.channel, err.body, err.message).byField.webhook_url ??
            /webhook_url: (.*)$/.exec(err.message)?.[1])
          : undefined;
      if (placed) setFieldError(placed);
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="webhook-setup">
      <Field
        label="Public webhook URL"
        hint={`Leave empty to use the server’s PUBLIC_URL. Otherwise HTTPS, e.g. ${example}`}
        error={fieldError}
      >
        {(id) => (
          <input
            id={id}
            type="url"
            inputMode="url"
            value={url}
            placeholder="https://your-domain.com/api/v1/channels/webhooks/…"
            onInput={(e) => setUrl(e.currentTarget.value)}
            aria-invalid={fieldError ? true : undefined}
          />
        )}
      </Field>
      <div class="actions">
        <Button variant="primary" disabled={busy} onClick={() => void setup()}>
          {label}
        </Button>
        {props.channel === 'telegram' ? (
          <Button disabled={info.loading} onClick={info.load}>
            Check webhook
          </Button>
        ) : null}
        {busy || info.loading ? <Spinner /> : null}
      </div>
      {failure(error)}
      {result ? (
        <div class="test-result test-ok" role="status">
          <p class="test-headline">
            <strong>Webhook set: </strong>
            {result.webhook_url}
          </p>
          {result.details ? <DetailsList value={result.details} /> : null}
        </div>
      ) : null}
      {failure(info.error)}
      {info.info ? (
        <div class="webhook-info">
          <h4>What Telegram reports</h4>
          <DetailsList value={info.info} />
        </div>
      ) : null}
    </div>
  );
}

/** The webhook section of a channel: what to paste where, the provider's own info, and setup where the API offers it. */
export function WebhookPanel(props: {
  base: string;
  channel: 'whatsapp' | 'telegram' | 'email';
  provider: string;
  agentId: string;
}) {
  const { channel, provider } = props;
  const infoPath = channel === 'telegram' ? undefined : `${props.base}/${channel}/webhook/info`;
  const info = useInfo(infoPath);
  useEffect(info.load, [infoPath, provider]);
  const canSetup = channel === 'telegram' || provider === 'meta' || provider === '360dialog';
  return (
    <section class="webhook-panel" aria-label="Webhook setup">
      <h3>Webhook setup</h3>
      <p class="paste-where">{PASTE_WHERE[provider]}</p>
      {canSetup ? (
        <WebhookSetup
          base={props.base}
          channel={channel as 'telegram' | 'whatsapp'}
          agentId={props.agentId}
        />
      ) : null}
      {infoPath ? (
        <div class="webhook-info">
          <div class="actions">
            <h4>{channel === 'email' ? 'Inbound mail' : 'Webhook details'}</h4>
            <Button variant="ghost" disabled={info.loading} onClick={info.load}>
              Refresh
            </Button>
          </div>
          {info.loading && !info.info ? <Spinner /> : null}
          {failure(info.error)}
          {info.info && channel === 'email' ? <EmailInfo info={info.info} /> : null}
          {info.info && channel !== 'email' ? <DetailsList value={info.info} /> : null}
        </div>
      ) : null}
    </section>
  );
}

/** The email inbound URLs: the one with credentials is copied, never shown. */
function EmailInfo(props: { info: Record<string, unknown> }) {
  const { url, url_without_credentials, events_url, provider_setup, imap, ...rest } = props.info;
  return (
    <>
      {typeof url === 'string' ? (
        <CopyField label="Inbound URL (with credentials)" value={url} display={maskCredentials(url)} />
      ) : null}
      {typeof url_without_credentials === 'string' ? (
        <CopyField label="Inbound URL (without credentials)" value={url_without_credentials} />
      ) : null}
      {typeof events_url === 'string' ? <CopyField label="Delivery events URL" value={events_url} /> : null}
      <DetailsList value={Object.fromEntries(Object.entries(rest).filter(([key]) => key !== 'provider'))} />
      {provider_setup && typeof provider_setup === 'object' ? (
        <>
          <h4>In the provider’s console</h4>
          <DetailsList value={provider_setup as Record<string, unknown>} />
        </>
      ) : null}
      {imap && typeof imap === 'object' ? (
        <>
          <h4>IMAP mailbox</h4>
          <DetailsList value={imap as Record<string, unknown>} />
        </>
      ) : null}
    </>
  );
}
