/** mailops.host.refresh: re-read the mailops.hosts setting and redraw the Hosts view. */
import type { CommandDefinition } from '../types';

export const refreshHosts: CommandDefinition = {
  id: 'mailops.host.refresh',
  run: (services) => services.hostsProvider.refresh(),
};
