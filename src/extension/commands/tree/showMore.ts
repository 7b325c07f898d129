/** mailops.tree.showMore: the next page of accounts or messages ("Show more…" items). */
import { MoreNode } from '../../tree/common/moreNode';
import type { CommandDefinition } from '../types';

export const showMore: CommandDefinition = {
  id: 'mailops.tree.showMore',
  run(services, node) {
    if (!(node instanceof MoreNode)) return;
    node.owner.showMore();
    services.hostsProvider.refreshNode(node.owner.kind === 'host' ? undefined : node.owner);
  },
};
