/**
 * Docker's JSONProgress rendering (`[=====>     ] 1.5MB/2MB 3s`), shared by the daemon, which
 * puts it in each progress message's `progress` field, and the CLI, which redraws it for the
 * width of its terminal.
 */
import { humanSize } from './human-size.js';

export interface ProgressDetail {
  current?: number;
  total?: number;
  /** Unix seconds when the transfer began: lets the bar estimate the time left. */
  start?: number;
  hidecounts?: boolean;
  units?: string;
}

/** Go's time.Duration.String() for a whole number of seconds: "0s", "45s", "2m5s", "1h0m3s". */
export function goDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  const h = Math.trunc(s / 3600);
  const m = Math.trunc((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${sign}${h}h${m}m${rest}s`;
  if (m > 0) return `${sign}${m}m${rest}s`;
  return `${sign}${rest}s`;
}

/**
 * JSONProgress.String(): `[=====>     ] 1.5MB/2MB 3s`. The bar needs a terminal wider than 110
 * columns and the time left one wider than 50, as docker decides.
 */
export function progressText(p: ProgressDetail, width: number, nowMs: number = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  // go-units HumanSize: decimal units, 4 significant digits
  const size = (n: number) => humanSize(n, 4);
  if (total <= 0) return p.units ? `${current} ${p.units}` : size(current).padStart(8);

  const percentage = Math.min(50, Math.trunc(Math.trunc((current / total) * 100) / 2));
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(percentage)}>${' '.repeat(Math.max(0, 50 - percentage))}] `;

  // a current past the total is wonky: docker then leaves the total out
  const counts = p.units
    ? current > total ? `${current} ${p.units}` : `${current}/${total} ${p.units}`
    : current > total ? size(current).padStart(8) : `${size(current).padStart(8)}/${size(total)}`;
  const numbers = p.hidecounts ? '' : counts;

  let timeLeft = '';
  if (current > 0 && p.start !== undefined && p.start > 0 && percentage < 50 && width > 50) {
    const perEntryNs = Math.trunc((nowMs * 1e6 - p.start * 1e9) / current);
    timeLeft = ` ${goDuration(Math.trunc(((total - current) * perEntryNs) / 1e9))}`;
  }
  return bar + numbers + timeLeft;
}

