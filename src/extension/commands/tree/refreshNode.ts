/** mailops.tree.refreshNode: load a node's children again (inline action on hosts, accounts, folders …). */
import type { MailopsNode } from '../../tree/node';
import type { CommandDefinition } from '../types';

export const refreshNode: CommandDefinition = {
  id: 'mailops.tree.refreshNode',
  run(services, node) {
    services.hostsProvider.refreshNode(node as MailopsNode | undefined);
  },
};
