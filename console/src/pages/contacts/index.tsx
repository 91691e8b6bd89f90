import { EmptyState } from '../../ui/empty-state.tsx';

/** Placeholder until the Contacts page is built. */
export default function ContactsPage() {
  return <EmptyState title="Contacts">This page is being built.</EmptyState>;
}
