import { EmptyState } from '../../ui/empty-state.tsx';

/** Placeholder until the Channels page is built. */
export default function ChannelsPage() {
  return <EmptyState title="Channels">This page is being built.</EmptyState>;
}
