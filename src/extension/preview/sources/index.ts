/** The data source for an origin: Dovecot restore plans and Cyrus unexpunge selections. */
import { UsageError } from '../../../core/errors';
import type { HostContext } from '../../../core/hosts/context';
import type { PreviewSourceFactory } from '../dataSource';
import { cyrusSource } from './cyrus';
import { cyrusEngine } from './cyrusEngine';
import { dovecotSource } from './dovecot';
import { dovecotEngine } from './dovecotEngine';

/** `hostContext(name)` gives the engines their configured host and pooled transport. */
export function engineSources(hostContext: (host: string) => HostContext | Promise<HostContext>): PreviewSourceFactory {
  return async (origin) => {
    const ctx = await hostContext(origin.host);
    switch (origin.engine) {
      case 'dovecot':
        return dovecotSource(origin, dovecotEngine(ctx, origin.account, origin.source));
      case 'cyrus':
        if (origin.source !== 'expunged') throw new UsageError(`Cyrus restore previews read expunged messages, not "${origin.source}"`, { host: origin.host });
        return cyrusSource(origin, cyrusEngine(ctx, origin.account));
    }
  };
}
