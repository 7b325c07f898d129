/** Every CLI command, in the order `mailops --help` lists them. One line per command file. */
import type { CliCommand } from '../types';
import { hostsCommand } from './hosts';
import { probeCommand } from './probe';
import { backupCommand } from './backup';
import { backupsCommand } from './backups';
import { scheduleCommand } from './schedule';
import { accountsCommand } from './accounts';
import { mailboxesCommand } from './mailboxes';
import { messagesCommand } from './messages';
import { verifyCommand } from './verify';
import { healthCommand } from './health';
import { restoreCommand } from './restore';
import { foldersCommand } from './folders';
import { expungedCommand } from './expunged';
import { unexpungeCommand } from './unexpunge';
import { deletedCommand } from './deleted';
import { undeleteCommand } from './undelete';
import { cyrusBackupCommand } from './cyrus-backup';
import { cyrusBackupsCommand } from './cyrus-backups';
import { cyrusRestoreCommand } from './cyrus-restore';

export const commands: CliCommand[] = [
  hostsCommand,
  probeCommand,
  backupCommand,
  backupsCommand,
  scheduleCommand,
  accountsCommand,
  mailboxesCommand,
  messagesCommand,
  verifyCommand,
  healthCommand,
  restoreCommand,
  foldersCommand,
  expungedCommand,
  unexpungeCommand,
  deletedCommand,
  undeleteCommand,
  cyrusBackupCommand,
  cyrusBackupsCommand,
  cyrusRestoreCommand,
];
