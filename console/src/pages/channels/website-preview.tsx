import { textOn } from '../../../../widget/src/color.ts';
import { CopyField } from '../../ui/copy-field.tsx';
import type { Draft } from './form-state.ts';

const DEFAULTS = {
  primary_color: '#0084ff',
  position: 'bottom-right',
  greeting_message: 'Hello! How can I help you?',
};

const VALID_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/**
 * The widget as the theme fields describe it, redrawn on every keystroke (before saving), the embed snippet, and
 * the demo page (which shows the saved theme).
 */
export function WebsitePreview(props: { draft: Draft; agentId: string }) {
  const value = (key: keyof typeof DEFAULTS) => {
    const typed = props.draft.values[`theme.${key}`];
    return typeof typed === 'string' && typed.trim() ? typed.trim() : DEFAULTS[key];
  };
  const color = VALID_COLOR.test(value('primary_color')) ? value('primary_color') : DEFAULTS.primary_color;
  const left = value('position') === 'bottom-left';
  const snippet = `<script src="${location.origin}/widget.js" data-agent-id="${props.agentId}" async></script>`;
  const demo = `/widget/demo?agent=${encodeURIComponent(props.agentId)}`;
  return (
    <div class="website-extras">
      <section class="widget-preview-wrap" aria-label="Widget preview">
        <h3>Preview</h3>
        <div
          class={`widget-preview ${left ? 'preview-left' : 'preview-right'}`}
          data-testid="widget-preview"
          data-position={left ? 'bottom-left' : 'bottom-right'}
        >
          <div class="preview-page" aria-hidden="true">
            <span />
            <span />
            <span />
          </div>
          <div class="preview-panel">
            <div class="preview-header" style={{ background: color, color: textOn(color) }}>
              Chat with us
            </div>
            <p class="preview-greeting">{value('greeting_message')}</p>
            <div class="preview-input">Type a message…</div>
          </div>
          <div
            class="preview-bubble"
            data-testid="widget-preview-bubble"
            style={{ background: color, color: textOn(color) }}
          >
            <svg width="22" height="22" viewBox="0 0 24 24" aria-hidden="true">
              <path fill="currentColor" d="M4 4h16v11H8l-4 4V4Z" />
            </svg>
          </div>
        </div>
        <p class="field-hint">
          Updates as you type; the live widget uses the saved theme.{' '}
          <a href={demo} target="_blank" rel="noopener">
            Open the demo page
          </a>
        </p>
      </section>
      <section aria-label="Embed snippet">
        <h3>Embed on your site</h3>
        <p class="field-hint">
          Paste this before the closing &lt;/body&gt; tag of every page that should show the chat.
        </p>
        <CopyField label="Embed snippet" value={snippet} multiline />
      </section>
    </div>
  );
}
