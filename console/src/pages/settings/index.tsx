import { EmptyState } from '../../ui/empty-state.tsx';

/** Placeholder until the Settings page is built. */
export default function SettingsPage() {
  return <EmptyState title="Settings">This page is being built.</EmptyState>;
}
