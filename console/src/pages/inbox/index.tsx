import { EmptyState } from '../../ui/empty-state.tsx';

/** Placeholder until the Inbox page is built. */
export default function InboxPage() {
  return <EmptyState title="Inbox">This page is being built.</EmptyState>;
}
