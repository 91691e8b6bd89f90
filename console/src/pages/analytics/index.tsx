import { EmptyState } from '../../ui/empty-state.tsx';

/** Placeholder until the Analytics page is built. */
export default function AnalyticsPage() {
  return <EmptyState title="Analytics">This page is being built.</EmptyState>;
}
