// Conversation engine tables (contacts, conversations, messages, inbound events, analytics).
export {};
