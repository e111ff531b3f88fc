/**
 * A separate process that tries to take the data folder's lock at an agreed instant, says whether
 * it got it, and holds it a while: how the take-over race is tested across real processes.
 * argv: <data dir> <start at, epoch ms> <hold ms>
 */
import { DataDirLock } from '../../src/store/data-dir-lock.ts';

const [dataDir = '', startAt = '0', holdMs = '1500'] = process.argv.slice(2);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
try {
  const lock = await DataDirLock.acquire(dataDir, { heartbeatMs: 200 });
  process.stdout.write('acquired\n');
  await new Promise((resolve) => setTimeout(resolve, Number(holdMs)));
  lock.release();
} catch (error) {
  process.stdout.write(`refused: ${(error as Error).message}\n`);
}
