/** mailops.tree.openLog: open a log listed under a host's "Logs" in the remote log viewer. */
import { openLog } from '../../logs/commands';
import type { CommandDefinition } from '../types';
import { isRecord } from '../targets';

export const openTreeLog: CommandDefinition = {
  id: 'mailops.tree.openLog',
  async run(_services, arg) {
    if (!isRecord(arg) || typeof arg.host !== 'string' || typeof arg.path !== 'string') return undefined;
    return openLog(arg.host, arg.path);
  },
};
