/** A contact as the Contacts API returns it. */
export type Identity = {
  _id: string;
  channel: string;
  platform_user_id: string;
  username: string | null;
  verified: { email?: string; phone?: string };
  blocked: boolean;
  last_inbound_at: string | null;
  unlinked_at: string | null;
  created_at: string;
};

export type Contact = {
  _id: string;
  display_name: string | null;
  email: string | null;
  phone: string | null;
  identities: Identity[];
  created_at: string;
  updated_at: string;
};

export type ConversationSummary = {
  _id: string;
  channel: string;
  status: string;
  metadata: { last_activity: string | null };
  closed_at: string | null;
  handoff: { started_at: string } | null;
  created_at: string;
};

export type ContactDetail = Contact & { conversations: ConversationSummary[]; conversation_count: number };

/** What to call a contact in the UI: the name, else a verified email/phone, else its first platform id. */
export function contactName(contact: Contact): string {
  return (
    contact.display_name ??
    contact.email ??
    contact.phone ??
    contact.identities[0]?.platform_user_id ??
    'Unnamed contact'
  );
}
