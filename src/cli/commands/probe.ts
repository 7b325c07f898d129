import type { CliCommand } from '../types';
import { probe, type ProbeReport } from '../../core/probe';

export function renderProbe(r: ProbeReport): string {
  const lines = [`host ${r.host} (${r.transport}${r.hostname ? `, ${r.hostname}` : ''}${r.kernel ? `, ${r.kernel}` : ''}${r.user ? `, as ${r.user}` : ''})`];
  lines.push(`detected: ${r.detected.length ? r.detected.join(', ') : 'no mail server'}`);
  if (r.dovecot) {
    const d = r.dovecot;
    const dialect = d.dialect ? `config dialect ${d.dialect}` : `config dialect unknown: ${d.dialectEvidence}`;
    lines.push('', `Dovecot ${d.version ?? '(version unknown)'}, ${dialect}${d.running ? '' : '  [master not running: doveadm mail commands will fail]'}`);
    lines.push(`  doveadm        ${d.doveadm}`);
    lines.push(`  config         ${d.config ?? '(default)'}${d.configFrom === 'process' ? ' (from the running master)' : ''}`);
    if (d.configFrom === 'default' && d.instances.length > 1) {
      lines.push(`  note           ${d.instances.length} Dovecot masters run with other configs: ${d.instances.join(', ')}; choose one with --dovecot-config (or dovecot.config)`);
    }
    lines.push(`  mail storage   ${d.storage?.setting ?? '(not configured)'}`);
    if (d.storage) lines.push(`  layout         ${d.storage.layout}${d.storage.layoutExplicit ? '' : ` (the ${d.storage.driver ?? 'driver'} default)`}`);
    lines.push(`  mail_plugins   ${d.mailPlugins.join(' ') || '(none)'}`);
    lines.push(`  lazy_expunge   ${d.lazyExpunge.enabled ? `on, mailbox ${d.lazyExpunge.mailbox}` : 'off'}`);
    if (d.maildirlock) lines.push(`  maildirlock    ${d.maildirlock}`);
  }
  if (r.cyrus) {
    const c = r.cyrus;
    lines.push('', `Cyrus ${c.version ?? '(version unknown)'}${c.running ? '' : '  [master not running]'}`);
    if (c.indexVersion !== null) lines.push(`  index version  ${c.indexVersion}${c.cacheVersion !== null ? ` (cache ${c.cacheVersion})` : ''}`);
    lines.push(`  tools          ${c.toolsDir}${c.wrapper ? ` (wrapper ${c.wrapper})` : ''}`);
    lines.push(`  config         ${c.config}${c.configFrom === 'process' ? ' (from the running master)' : c.configFrom === 'default' ? ' (default)' : ''}`);
    if (c.configFrom === 'default' && c.instances.length > 1) {
      lines.push(`  note           ${c.instances.length} Cyrus masters run with other configs: ${c.instances.join(', ')}; choose one with --cyrus-config (or cyrus.config)`);
    }
    lines.push(`  configdirectory ${c.configDirectory ?? '(unknown)'}`);
    for (const [name, path] of Object.entries(c.partitions)) lines.push(`  partition      ${name} = ${path}`);
    lines.push(`  expunge_mode   ${c.expungeMode ?? '(unknown)'}`);
    lines.push(`  delete_mode    ${c.deleteMode ?? '(unknown)'}`);
    lines.push(`  unixhierarchysep ${c.unixHierarchySep ? 'yes' : 'no'}`);
    lines.push(`  virtdomains    ${c.virtDomains ?? 'off'}`);
  }
  return lines.join('\n');
}

export const probeCommand: CliCommand = {
  name: 'probe',
  summary: 'detect the mail servers of a host: kind, version, tool paths, settings backups depend on',
  usage: '',
  needsHost: true,
  async run(ctx) {
    const host = await ctx.host();
    const report = await probe(host, ctx.signal);
    ctx.result(report, renderProbe);
    return report.detected.length > 0 ? 0 : 1;
  },
};
