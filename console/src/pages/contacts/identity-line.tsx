import { Badge } from '../../ui/badge.tsx';
import { ChannelIcon, channelLabel } from '../../ui/channel-icon.tsx';
import type { Identity } from './types.ts';

/** Whether an identity proved an email or phone (what automatic linking trusts). */
export function VerifiedBadge(props: { identity: Identity }) {
  const { email, phone } = props.identity.verified;
  const proved = [phone, email].filter(Boolean).join(', ');
  return proved ? <Badge tone="ok">Verified: {proved}</Badge> : <Badge>Not verified</Badge>;
}

/** Channel icon + platform id (+ @username), compact, for lists. */
export function IdentityChip(props: { identity: Identity }) {
  const { identity } = props;
  return (
    <span class="identity-chip" title={`${channelLabel(identity.channel)} ${identity.platform_user_id}`}>
      <ChannelIcon channel={identity.channel} size={16} />
      <span>{identity.username ? `@${identity.username}` : identity.platform_user_id}</span>
    </span>
  );
}
