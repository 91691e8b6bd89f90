/** The conversation API's shapes, as far as the inbox reads them. */

export type Handoff = {
  started_at: string;
  by: 'operator' | 'agent' | 'keyword';
  user_id: string | null;
  reason: string | null;
};

export type ContactSummary = { _id: string; display_name: string | null } | null;

export type Conversation = {
  _id: string;
  user_identifier: string;
  channel: string;
  status: 'active' | 'closed';
  metadata: { last_activity: string };
  handoff: Handoff | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
  contact: ContactSummary;
};

export type LastMessage = {
  _id: string;
  role: string;
  direction: string;
  channel: string;
  status: string;
  preview: string;
  created_at: string;
} | null;

/** A row of the conversation list. */
export type ConversationItem = Conversation & { last_message: LastMessage };

export type Attachment = {
  type: string;
  ref?: string;
  url?: string;
  name?: string;
  mime_type?: string;
  size?: number;
};

export type DeliveryStatus =
  'received' | 'queued' | 'held' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

export type Message = {
  _id: string;
  role: 'user' | 'assistant' | 'system' | 'human';
  content: string;
  channel: string;
  direction: 'inbound' | 'outbound';
  status: DeliveryStatus;
  error: { code: string; message: string } | null;
  attachments: Attachment[];
  metadata: Record<string, unknown> | null;
  user_id: string | null;
  created_at: string;
};

export type WhatsAppWindow = {
  open: boolean;
  last_inbound_at: string | null;
  closes_at: string | null;
} | null;

export type ConversationDetail = Conversation & { whatsapp_window: WhatsAppWindow; messages: Message[] };

export type Template = { name: string; language: string; parameters?: string[] };

/** The list filters; empty string = any. */
export type Filters = { channel: string; status: string; handoff: string };
