import {
  createClient,
  StreamDropped,
  WidgetError,
  type Client,
  type HistoryMessage,
  type QuickReply,
} from './api.ts';
import { textOn } from './color.ts';
import { renderMarkdown } from './markdown.ts';
import { CSS } from './styles.ts';

/** Longest message the server accepts (characters). */
const MAX_LENGTH = 4000;
/** Re-fetches of the history after a dropped stream, and the pause before each (ms). */
const RECOVERY_DELAYS = [500, 1000, 2000, 3000, 4000, 5000];

type EventName = 'ready' | 'open' | 'close' | 'message' | 'error';
type Listener = (detail: unknown) => void;
type Api = {
  open(): void;
  close(): void;
  toggle(): void;
  identify(identity: { user_identifier: string; user_hash: string }): Promise<boolean>;
  reset(): void;
  on(event: EventName, listener: Listener): () => void;
  off(event: EventName, listener: Listener): void;
  readonly isOpen: boolean;
};

declare global {
  interface Window {
    Switchboard?: Api & { __widget?: true };
  }
}

const ICON_CHAT =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
const ICON_CLOSE =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M18.3 5.7 12 12l6.3 6.3-1.4 1.4L10.6 13.4 4.3 19.7 2.9 18.3 9.2 12 2.9 5.7 4.3 4.3l6.3 6.3 6.3-6.3z"/></svg>';
const ICON_SEND =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20.5 21 12 3 3.5 3 10l12 2-12 2z"/></svg>';

/** Builds an element from a static template: only our own constant markup ever goes through innerHTML. */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  svg?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (svg) node.innerHTML = svg;
  return node;
}

function humanError(err: unknown): string {
  if (!(err instanceof WidgetError)) return 'Something went wrong. Please try again.';
  switch (err.status) {
    case 0:
      if (err.message === 'dropped')
        return 'Connection lost. Your message was sent; reopen the chat in a moment to see the reply.';
      return "You're offline or the chat can't be reached. Check your connection and try again.";
    case 400:
      return /too long|4000|characters|at most/i.test(err.message)
        ? `That message is too long. Please keep it under ${MAX_LENGTH} characters.`
        : "That message couldn't be sent. Please check it and try again.";
    case 401:
      return 'Your chat session expired. Please reload the page to continue.';
    case 403:
      return "This website isn't allowed to use this chat. If you own the site, add it to the widget's allowed origins.";
    case 404:
      return 'This chat is not available right now.';
    case 409:
      // A person took the conversation over: the message was stored; their answer shows in the history.
      return /human has taken over/i.test(err.message)
        ? 'Your message was received. A team member will answer here; reopen the chat later to see it.'
        : 'The assistant is paused right now. Please try again later.';
    case 429:
      return `You're sending messages too quickly. Please try again in ${err.retryAfter ?? 60} seconds.`;
    default:
      return "Sorry, the assistant couldn't answer just now. Please try again in a moment.";
  }
}

function boot(): void {
  if (window.Switchboard?.__widget) return;
  const script = (document.currentScript ??
    document.querySelector('script[data-agent-id]')) as HTMLScriptElement | null;
  const agentId = script?.dataset.agentId;
  if (!script || !agentId) return;
  const base =
    script.dataset.apiBase ??
    new URL(script.src, location.href).href.replace(/\/widget(\/[^/?#]+)?\.js([?#].*)?$/, '');
  // Another tab started, verified or forgot the visitor: show that visitor's conversation here too.
  const client = createClient(base.replace(/\/$/, ''), agentId, () => {
    historyLoaded = false;
    if (!client.hasSession()) forgetShownVisitor();
    else if (!busy && isOpen) void loadHistory().then(scrollDown);
  });
  const listeners = new Map<EventName, Set<Listener>>();
  const emit = (name: EventName, detail?: unknown) => {
    for (const fn of listeners.get(name) ?? []) {
      try {
        fn(detail);
      } catch {
        // A host page listener's error must not break the widget.
      }
    }
    window.dispatchEvent(new CustomEvent(`switchboard:${name}`, { detail }));
  };

  // DOM, inside a closed-to-the-page shadow root.
  const host = h('div', { id: 'switchboard-widget' });
  const shadow = host.attachShadow({ mode: 'open' });
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    shadow.adoptedStyleSheets = [sheet];
  } catch {
    shadow.appendChild(h('style')).textContent = CSS;
  }
  const root = h('div', { class: 'sb right', part: 'root' });
  const launcher = h(
    'button',
    {
      class: 'launcher',
      type: 'button',
      'aria-label': 'Open chat',
      'aria-expanded': 'false',
      'aria-controls': 'sb-panel',
    },
    ICON_CHAT,
  );
  const panel = h('div', {
    class: 'panel',
    id: 'sb-panel',
    role: 'dialog',
    'aria-modal': 'true',
    'aria-label': 'Chat',
  });
  panel.hidden = true;
  const header = h('header');
  const title = h('span', { class: 'title', id: 'sb-title' });
  title.textContent = 'Chat';
  panel.setAttribute('aria-labelledby', 'sb-title');
  const closeButton = h('button', { class: 'close', type: 'button', 'aria-label': 'Close chat' }, ICON_CLOSE);
  header.append(title, closeButton);
  const notice = h('div', { class: 'notice', role: 'alert' });
  notice.hidden = true;
  const log = h('div', {
    class: 'log',
    role: 'log',
    'aria-label': 'Messages',
    'aria-live': 'off',
    tabindex: '0',
  });
  const greeting = h('div', { class: 'msg assistant greeting' });
  greeting.textContent = 'Hello! How can I help you?';
  log.append(greeting);
  const live = h('div', { class: 'sr', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const form = h('form', { novalidate: '' });
  const input = h('textarea', {
    rows: '1',
    'aria-label': 'Type your message',
    placeholder: 'Type your message…',
    enterkeyhint: 'send',
    autocomplete: 'off',
  });
  const send = h('button', { class: 'send', type: 'submit', 'aria-label': 'Send message' }, ICON_SEND);
  form.append(input, send);
  const count = h('div', { class: 'count', 'aria-live': 'polite' });
  count.hidden = true;
  panel.append(header, notice, log, live, form, count);
  root.append(launcher, panel);
  shadow.append(root);

  let isOpen = false;
  let busy = false;
  let historyLoaded = false;
  /** Bumped when the visitor is forgotten (reset, here or in another tab): a reply still coming is not shown. */
  let visitorEpoch = 0;
  let inFlight: AbortController | undefined;
  let blockedUntil = 0;
  let fatal: string | undefined;
  let retryTimer: ReturnType<typeof setInterval> | undefined;

  const showNotice = (text?: string) => {
    notice.textContent = text ?? '';
    notice.hidden = !text;
  };
  const scrollDown = () => {
    log.scrollTop = log.scrollHeight;
  };
  const updateSend = () => {
    const length = input.value.length;
    count.hidden = length < MAX_LENGTH - 400;
    count.textContent = `${length} / ${MAX_LENGTH}`;
    count.classList.toggle('over', length > MAX_LENGTH);
    send.disabled =
      busy || !!fatal || Date.now() < blockedUntil || !input.value.trim() || length > MAX_LENGTH;
  };
  const autosize = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
  };

  function bubble(role: string, content: string): HTMLDivElement {
    const node = h('div', { class: `msg ${role === 'user' ? 'user' : 'assistant'}` });
    if (role === 'user') node.textContent = content;
    else renderMarkdown(content, node);
    log.append(node);
    scrollDown();
    return node;
  }

  /** Shows the agent's quick replies under its latest message; pressing one sends its value. */
  function quickReplies(buttons: QuickReply[] | undefined): void {
    log.querySelector('.quick')?.remove();
    if (!buttons?.length) return;
    const group = h('div', { class: 'quick', role: 'group', 'aria-label': 'Suggested replies' });
    for (const button of buttons) {
      const chip = h('button', { class: 'chip', type: 'button' });
      chip.textContent = button.label;
      chip.addEventListener('click', () => {
        if (busy || fatal) return;
        input.value = button.value;
        void submit();
      });
      group.append(chip);
    }
    log.append(group);
    scrollDown();
  }

  function typing(): HTMLDivElement {
    const node = h('div', {
      class: 'msg assistant typing',
      role: 'status',
      'aria-label': 'Assistant is typing',
    });
    node.append(h('i'), h('i'), h('i'));
    log.append(node);
    scrollDown();
    return node;
  }

  function fail(err: unknown): void {
    const message = humanError(err);
    showNotice(message);
    emit('error', { status: err instanceof WidgetError ? err.status : undefined, message });
    if (err instanceof WidgetError) {
      if (err.status === 404 || err.status === 403) fatal = message;
      if (err.status === 429) rateLimited(err.retryAfter ?? 60);
    }
    updateSend();
  }

  function rateLimited(seconds: number): void {
    blockedUntil = Date.now() + seconds * 1000;
    clearInterval(retryTimer);
    retryTimer = setInterval(() => {
      const left = Math.ceil((blockedUntil - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(retryTimer);
        showNotice();
      } else {
        notice.textContent = `You're sending messages too quickly. Please try again in ${left} seconds.`;
      }
      updateSend();
    }, 1000);
  }

  /** The shown visitor is gone: stop the reply in flight (the server still stores it) and empty the log. */
  function forgetShownVisitor(): void {
    visitorEpoch++;
    inFlight?.abort();
    clearLog();
    // The last announcement holds the old visitor's reply: it must not stay readable in the page.
    live.textContent = '';
  }

  function clearLog(): void {
    for (const node of [...log.querySelectorAll('.msg:not(.greeting)')]) node.remove();
    quickReplies(undefined);
  }

  function renderHistory(messages: HistoryMessage[]): void {
    clearLog();
    for (const m of messages) if (m.content) bubble(m.role, m.content);
    const last = messages.at(-1);
    quickReplies(last?.role === 'assistant' ? last.buttons : undefined);
  }

  async function loadHistory(): Promise<void> {
    if (historyLoaded || !client.hasSession() || fatal) return;
    try {
      renderHistory(await client.history());
      historyLoaded = true;
    } catch (err) {
      fail(err);
    }
  }

  /** After a dropped stream: re-reads the history (bounded) until the reply to `sent` (or its failure) is there. */
  async function recover(sent: string): Promise<HistoryMessage | undefined> {
    for (const delay of RECOVERY_DELAYS) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        const messages = await client.history();
        const lastUser = messages.map((m) => m.role).lastIndexOf('user');
        const reply = messages
          .slice(lastUser + 1)
          .find((m) => m.role !== 'user' && (m.content || m.status === 'failed'));
        if (lastUser >= 0 && messages[lastUser]?.content === sent && reply) return reply;
      } catch (err) {
        if (!(err instanceof WidgetError && err.status === 0)) throw err;
      }
    }
    return undefined;
  }

  async function submit(): Promise<void> {
    const text = input.value.trim();
    if (!text || busy || fatal) return;
    if (text.length > MAX_LENGTH) return fail(new WidgetError(400, 'too long'));
    if (Date.now() < blockedUntil) return;
    if (!navigator.onLine) return fail(new WidgetError(0, 'offline'));
    busy = true;
    const epoch = visitorEpoch;
    const stale = () => epoch !== visitorEpoch;
    const abort = new AbortController();
    inFlight = abort;
    // The send button is about to be disabled (and a pressed quick reply removed): keep focus in the dialog.
    if (shadow.activeElement && shadow.activeElement !== input) input.focus({ preventScroll: true });
    showNotice();
    input.value = '';
    autosize();
    updateSend();
    await loadHistory();
    if (stale()) {
      inFlight = undefined;
      busy = false;
      updateSend();
      return;
    }
    quickReplies(undefined);
    const mine = bubble('user', text);
    emit('message', { role: 'user', content: text });
    const indicator = typing();
    let reply: HTMLDivElement | undefined;
    let streamed = '';
    let frame = 0;
    // The stream opened: the server has the message (and finishes its turn even if the connection drops).
    let accepted = false;
    const paint = () => {
      frame = 0;
      if (reply) renderMarkdown(streamed, reply);
      scrollDown();
    };
    try {
      let result: string | undefined;
      let buttons: QuickReply[] | undefined;
      try {
        const done = await client.stream(
          text,
          (chunk) => {
            if (stale()) return;
            if (!reply) {
              reply = h('div', { class: 'msg assistant', 'aria-busy': 'true' });
              indicator.replaceWith(reply);
            }
            streamed += chunk;
            frame ||= requestAnimationFrame(paint);
          },
          abort.signal,
        );
        result = done.response;
        buttons = done.buttons;
      } catch (err) {
        if (!(err instanceof StreamDropped) || stale()) throw err;
        accepted = true;
        showNotice('Connection lost. Reconnecting…');
        const recovered = await recover(text);
        if (recovered === undefined) {
          historyLoaded = false;
          throw new WidgetError(0, 'dropped');
        }
        if (!recovered.content) throw new WidgetError(502, 'The agent could not answer');
        result = recovered.content;
        buttons = recovered.buttons;
        showNotice();
      }
      cancelAnimationFrame(frame);
      if (stale()) throw new StreamDropped();
      if (!reply) {
        reply = h('div', { class: 'msg assistant' });
        indicator.replaceWith(reply);
      }
      reply.removeAttribute('aria-busy');
      renderMarkdown(result, reply);
      quickReplies(buttons);
      scrollDown();
      const offered = buttons?.length ? ` Suggested replies: ${buttons.map((x) => x.label).join(', ')}.` : '';
      live.textContent = `Assistant: ${reply.textContent ?? ''}${offered}`;
      historyLoaded = true;
      emit('message', { role: 'assistant', content: result });
    } catch (err) {
      cancelAnimationFrame(frame);
      indicator.remove();
      if (stale()) {
        // The visitor was forgotten meanwhile: nothing of this exchange is shown, announced or given back.
        reply?.remove();
        mine.remove();
        return;
      }
      const sentToServer = accepted || (err instanceof WidgetError && err.status >= 500);
      if (reply && streamed) reply.classList.add('failed');
      else reply?.remove();
      if (!sentToServer && !streamed) {
        // Not accepted: give the text back so nothing is lost.
        mine.remove();
        input.value = text;
        autosize();
      }
      fail(err);
    } finally {
      if (inFlight === abort) inFlight = undefined;
      busy = false;
      updateSend();
    }
  }

  function focusables(): HTMLElement[] {
    const chips = [...log.querySelectorAll<HTMLButtonElement>('.chip')];
    return [closeButton, log, ...chips, input, send].filter((el) => !(el as HTMLButtonElement).disabled);
  }

  function fitViewport(): void {
    const vv = window.visualViewport;
    if (isOpen && vv && window.innerWidth <= 480) {
      panel.style.height = `${vv.height}px`;
      panel.style.top = `${vv.offsetTop}px`;
    } else {
      panel.style.height = '';
      panel.style.top = '';
    }
  }

  const api: Api & { __widget: true } = {
    __widget: true,
    get isOpen() {
      return isOpen;
    },
    open() {
      if (isOpen) return;
      isOpen = true;
      panel.hidden = false;
      root.classList.add('open');
      launcher.setAttribute('aria-expanded', 'true');
      launcher.setAttribute('aria-label', 'Close chat');
      fitViewport();
      void loadHistory().then(scrollDown);
      input.focus({ preventScroll: true });
      emit('open');
    },
    close() {
      if (!isOpen) return;
      isOpen = false;
      panel.hidden = true;
      root.classList.remove('open');
      launcher.setAttribute('aria-expanded', 'false');
      launcher.setAttribute('aria-label', 'Open chat');
      launcher.focus({ preventScroll: true });
      emit('close');
    },
    toggle() {
      if (isOpen) api.close();
      else api.open();
    },
    async identify({ user_identifier, user_hash }) {
      try {
        const session = await client.identify(user_identifier, user_hash);
        historyLoaded = false;
        if (isOpen) await loadHistory();
        return session.verified;
      } catch (err) {
        fail(err);
        return false;
      }
    },
    /** The host page's user logged out: forget the visitor (token, identity, shown history). */
    reset() {
      client.reset();
      historyLoaded = false;
      forgetShownVisitor();
      showNotice();
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set<Listener>();
      set.add(listener);
      listeners.set(event, set);
      return () => api.off(event, listener);
    },
    off(event, listener) {
      listeners.get(event)?.delete(listener);
    },
  };

  launcher.addEventListener('click', () => api.toggle());
  closeButton.addEventListener('click', () => api.close());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void submit();
  });
  input.addEventListener('input', () => {
    autosize();
    updateSend();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void submit();
    }
  });
  panel.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      api.close();
    } else if (e.key === 'Tab') {
      const items = focusables();
      const current = items.indexOf(shadow.activeElement as HTMLElement);
      const next = e.shiftKey
        ? current <= 0
          ? items.length - 1
          : current - 1
        : current < 0 || current === items.length - 1
          ? 0
          : current + 1;
      e.preventDefault();
      items[next]?.focus();
    }
  });
  window.addEventListener('offline', () =>
    showNotice("You're offline. Messages will send when you're back online."),
  );
  window.addEventListener('online', () => {
    if (notice.textContent?.startsWith("You're offline")) showNotice();
  });
  window.visualViewport?.addEventListener('resize', fitViewport);
  window.visualViewport?.addEventListener('scroll', fitViewport);
  updateSend();

  window.Switchboard = api;
  const mount = () => {
    document.body.appendChild(host);
    emit('ready');
  };
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });

  client
    .settings()
    .then((theme) => {
      root.style.setProperty('--pri', theme.primary_color);
      root.style.setProperty('--on-pri', textOn(theme.primary_color));
      root.classList.toggle('left', theme.position === 'bottom-left');
      root.classList.toggle('right', theme.position !== 'bottom-left');
      greeting.textContent = theme.greeting_message;
    })
    .catch(fail);
}

boot();

export type { Client };
