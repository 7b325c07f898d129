import type { CliCommand } from '../types';
import { UsageError } from '../../core/errors';
import { readCatalogue, whichArchiveHolds, type Catalogue, type HoldsAnswer } from '../../core/dovecot/catalogue';
import { listCyrusArchives, type CyrusArchiveChain } from '../../core/cyrus/backup';
import { cyrusLayout } from '../../core/backup/layout';
import { serverKind } from '../serverKind';

/** A Cyrus host's archive chains, in the catalogue shape of the Dovecot backups (no account, no mirror). */
export interface CyrusCatalogue {
  server: 'cyrus';
  account: null;
  dir: string;
  mirror: null;
  chains: CyrusArchiveChain[];
}

function renderCyrusCatalogue(c: CyrusCatalogue): string {
  const out: string[] = [`Cyrus backups of the host in ${c.dir}`];
  if (c.chains.length === 0) out.push('', 'no archives yet');
  for (const ch of c.chains) {
    out.push('', `chain ${ch.full.id}`);
    for (const p of ch.points) out.push(`  ${p.level.padEnd(4)} ${p.id}  ${p.created}  ${String(p.bytes).padStart(10)} bytes  ${String(p.mailboxes).padStart(6)} mailboxes  ${String(p.messageFiles).padStart(6)} msg files  ${p.verified ? 'verified' : 'NOT verified'}${p.level === 'full' ? '' : `  (on ${p.base})`}`);
  }
  return out.join('\n');
}

function renderCatalogue(c: Catalogue): string {
  const out: string[] = [`backups of ${c.account} in ${c.dir}`];
  if (c.mirror) {
    const m = c.mirror;
    out.push('', `mirror ${m.path}${m.target ? ` -> ${m.target}` : ''}${m.location ? `  (${m.location})` : ''}`);
    out.push(`  state: ${m.stateMtime ? `written ${m.stateMtime}` : 'none'}${m.stateSha256 ? `, sha256 ${m.stateSha256.slice(0, 16)}…` : ''}${m.stateError ? `, UNREADABLE: ${m.stateError}` : ''}`);
    if (m.mailboxes.length) {
      out.push(`  ${'mailbox'.padEnd(32)} ${'messages'.padStart(8)} ${'last uid'.padStart(8)} ${'modseq'.padStart(8)} ${'uidvalidity'.padStart(11)}  guid`);
      for (const b of m.mailboxes) out.push(`  ${(b.mailbox ?? '(not in mirror)').padEnd(32)} ${String(b.messageCount).padStart(8)} ${String(b.lastCommonUid).padStart(8)} ${String(b.lastCommonModseq).padStart(8)} ${String(b.uidvalidity).padStart(11)}  ${b.guid}`);
    }
    for (const o of m.otherMirrors) out.push(`  older mirror kept: ${o}`);
  } else out.push('', 'no mirror yet');
  if (c.chains.length === 0) out.push('', 'no archives yet');
  for (const ch of c.chains) {
    out.push('', `chain ${ch.full.id}`);
    for (const p of ch.points) out.push(`  ${p.level.padEnd(4)} ${p.id}  ${p.created}  ${String(p.bytes).padStart(10)} bytes  ${String(p.messages).padStart(6)} msg files  ${p.verified ? 'verified' : 'NOT verified'}  ${p.source}${p.level === 'full' ? '' : `  (on ${p.base})`}`);
  }
  return out.join('\n');
}

function renderHolds(a: HoldsAnswer): string {
  if (!a.point) return `no archive holds ${a.mailbox} as of ${a.at}: ${a.reason}`;
  return [`${a.mailbox} as of ${a.at}: ${a.point.id} (${a.point.level}, made ${a.point.created})`, `  extract in order: ${a.extract.map((p) => p.id).join(' -> ')}`, `  ${a.reason}`].join('\n');
}

export const backupsCommand: CliCommand = {
  name: 'backups',
  summary: "list backup sets: a Dovecot account's mirror (decoded dsync state) and archive chains, or a Cyrus host's archive chains",
  usage: 'ACCOUNT [--mailbox NAME --at TIME]\n       mailops backups   (Cyrus host: host-wide archive chains, no ACCOUNT)',
  help: [
    'Dispatches on the host\'s server kind (its "server"; for "detect" hosts the probe decides, or --server dovecot|cyrus).',
    'Dovecot: with --mailbox and --at (ISO 8601 time), answers which archive chain point holds that mailbox as of that time.',
    'Cyrus: the archive chains (full, then its incr points); `cyrus-backups --mailboxes ID` lists one archive\'s mailboxes.db dump.',
  ].join('\n'),
  options: {
    mailbox: { type: 'string', valueName: 'NAME', description: 'a mailbox name (with --at; Dovecot)' },
    at: { type: 'string', valueName: 'TIME', description: 'an ISO 8601 time, e.g. 2026-11-20T12:00:00Z (default now)' },
  },
  needsHost: true,
  async run(ctx, args) {
    if (args.positionals.length > 1) throw new UsageError('give exactly one ACCOUNT (Dovecot) or none (Cyrus)');
    const at = args.values.at as string | undefined;
    const mailbox = args.values.mailbox as string | undefined;
    if (at && !mailbox) throw new UsageError('--at needs --mailbox');
    const when = at ? new Date(at) : new Date();
    if (Number.isNaN(when.getTime())) throw new UsageError(`--at is not a time: ${JSON.stringify(at)}`);
    const host = await ctx.host();
    if ((await serverKind(host, args.values, 'backups', ctx.signal)) === 'cyrus') {
      if (args.positionals.length) throw new UsageError('Cyrus archives are host-wide: give no ACCOUNT', { hint: 'mailops backups lists the chains; mailops cyrus-backups --mailboxes ID lists the mailboxes in one archive' });
      if (mailbox !== undefined) throw new UsageError('--mailbox/--at are for Dovecot hosts', { hint: 'on Cyrus: mailops cyrus-backups --mailboxes ARCHIVE_ID lists the mailboxes an archive holds' });
      const chains = await listCyrusArchives(host, ctx.signal);
      const cat: CyrusCatalogue = { server: 'cyrus', account: null, dir: cyrusLayout(host.config).dir, mirror: null, chains };
      ctx.result(cat, renderCyrusCatalogue);
      return 0;
    }
    const account = args.positionals[0];
    if (account === undefined) throw new UsageError('give exactly one ACCOUNT', { hint: 'Dovecot backups are per account' });
    const cat = await readCatalogue(host, account, ctx.signal);
    if (mailbox !== undefined) {
      const a = whichArchiveHolds(cat, mailbox, when);
      ctx.result(a, renderHolds);
      return a.point ? 0 : 1;
    }
    ctx.result(cat, renderCatalogue);
    return 0;
  },
};
