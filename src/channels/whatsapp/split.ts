import { splitMarkdown } from '../markdown-split.ts';
import type { ReplyPart } from '../types.ts';
import { buttonStyle, INTERACTIVE_BODY_MAX, numberedOptions } from './buttons.ts';
import { markdownToWhatsApp } from './format.ts';

/** A text message body holds at most 4096 characters (providers.md §3.2). */
export const WHATSAPP_TEXT_LIMIT = 4096;

const rendered = (part: string) => markdownToWhatsApp(part).length;

/** Splits the agent's markdown into WhatsApp text messages, in order; each fits once rendered. */
export const splitWhatsAppText = (text: string, limit = WHATSAPP_TEXT_LIMIT): string[] =>
  splitMarkdown(text, limit, rendered);

/**
 * A reply as WhatsApp messages, one Cloud API call each: the text parts, then one part per image or document.
 * Quick replies ride on the last text part, whose body must then fit an interactive message (1024); more than
 * ten become numbered lines in the text instead. Buttons without any text get a text part of their own.
 * `textLimit` is the provider's body limit (Cloud API 4096; Twilio 1600).
 */
export function splitWhatsAppReply(reply: ReplyPart, textLimit = WHATSAPP_TEXT_LIMIT): ReplyPart[] {
  const buttons = reply.buttons ?? [];
  const style = buttons.length > 0 ? buttonStyle(buttons.length) : undefined;
  const source = style === 'text' ? `${reply.text.trim()}\n\n${numberedOptions(buttons, '\\.')}` : reply.text;
  const parts: ReplyPart[] = splitWhatsAppText(source, textLimit).map((text) => ({ text }));
  if (style && style !== 'text') {
    const last = parts.pop();
    const tail = last ? splitWhatsAppText(last.text, INTERACTIVE_BODY_MAX) : [];
    parts.push(...tail.map((text) => ({ text })));
    const target = parts.at(-1);
    if (target) target.buttons = buttons;
    else parts.push({ text: '', buttons });
  }
  for (const file of reply.attachments ?? []) parts.push({ text: '', attachments: [file] });
  return parts;
}
