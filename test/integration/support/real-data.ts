// The real event logs live outside the repository (they are never copied into it). CI and developer
// machines have them at ../shared/data/event_data beside the checkout; TRACKLOG_REAL_DATA_DIR points
// elsewhere. Tests that need them run only where they exist.
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

export const realDataDir = resolve(
  process.env.TRACKLOG_REAL_DATA_DIR ??
    resolve(__dirname, '..', '..', '..', '..', 'shared', 'data', 'event_data'),
);

export const hasRealData = existsSync(realDataDir);

/** `describe` where the real data exists; elsewhere the block is reported as skipped, not passed. */
export const describeWithRealData: jest.Describe = hasRealData ? describe : describe.skip;

/**
 * The real daily CSV files, sorted; none where the folder is absent. Jest runs the body of a
 * skipped describe block too (to collect its tests), so code there must not read the folder itself.
 */
export function realDataFiles(): string[] {
  return hasRealData
    ? readdirSync(realDataDir)
        .filter((f) => f.endsWith('.csv'))
        .sort()
    : [];
}
