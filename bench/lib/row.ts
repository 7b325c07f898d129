/** What a benchmark row gets and returns. */
import type { SandboxInfo } from '../../test/support/sandbox';

export interface RowContext {
  sb: SandboxInfo;
  /** Runs per measurement (the table shows medians). */
  runs: number;
  log(msg: string): void;
}

export type Verdict = 'OK' | 'MISSED' | 'INFO' | 'NOT MEASURED';

export interface RowLine {
  /** "1a", "3", … */
  id: string;
  what: string;
  mailops: string;
  peer: string;
  /** Mailops / peer time (below 1: Mailops faster), or another ratio named in ratioLabel. */
  ratio: number | null;
  ratioLabel: string;
  target: string;
  verdict: Verdict;
  notes: string[];
  data: Record<string, unknown>;
}

export type Row = (ctx: RowContext) => Promise<RowLine[]>;

export function notMeasured(id: string, what: string, why: string, target = ''): RowLine {
  return { id, what, mailops: '-', peer: '-', ratio: null, ratioLabel: '', target, verdict: 'NOT MEASURED', notes: [`not measured: ${why}`], data: { why } };
}
