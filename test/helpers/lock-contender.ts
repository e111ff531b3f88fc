/**
 * A separate process that tries to take the data folder's lock at an agreed instant, says whether
 * it got it, and holds it until its standard input closes: how the take-over race is tested across
 * real processes (the winner holds on until every contender has answered).
 * argv: <data dir> <start at, epoch ms>
 */
import { DataDirLock } from '../../src/store/files/data-dir-lock.ts';

const [dataDir = '', startAt = '0'] = process.argv.slice(2);
const released = new Promise((resolve) => {
  process.stdin.on('end', resolve).on('close', resolve).resume();
});
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
try {
  const lock = await DataDirLock.acquire(dataDir, { heartbeatMs: 200 });
  process.stdout.write('acquired\n');
  await released;
  lock.release();
} catch (error) {
  process.stdout.write(`refused: ${(error as Error).message}\n`);
}
