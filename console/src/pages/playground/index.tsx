import { EmptyState } from '../../ui/empty-state.tsx';

/** Placeholder until the Playground page is built. */
export default function PlaygroundPage() {
  return <EmptyState title="Playground">This page is being built.</EmptyState>;
}
