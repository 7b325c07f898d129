/** mailops.log.show: open the Mailops output channel. */
import { getLog } from '../../log';
import type { CommandDefinition } from '../types';

export const showLog: CommandDefinition = {
  id: 'mailops.log.show',
  run: () => getLog().show(),
};
