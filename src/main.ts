import './quiet-dotenv.ts';
import { config as loadDotenv } from 'dotenv';
import { ConfigError, loadConfig, secretsOf } from './config.ts';
import { SwitchboardError } from './errors.ts';
import { createLog } from './log.ts';
import { startSwitchboard } from './switchboard.ts';

/**
 * The composition root's entry: the only reader of process.env. Loads `.env` (without
 * overriding what the environment already says), validates, starts, and stops on SIGTERM/SIGINT.
 */
async function main(): Promise<void> {
  // Everything the bot writes (data files, the Bluesky session, exports) is its owner's alone:
  // files 0600, folders 0700. openStore also tightens what an older version left readable.
  process.umask(0o077);
  loadDotenv({ quiet: true });
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  const log = createLog({ level: config.logLevel, secrets: secretsOf(config) });
  try {
    const running = await startSwitchboard(config, log);
    let stopping = false;
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal} received: finishing the step in progress, then stopping`);
      await running.stop();
      log.info('stopped');
      process.exit(0);
    };
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGINT', () => void shutdown('SIGINT'));
  } catch (error) {
    // Ours, and something a person must fix (a file, a key, a token, a lock): one clear line, exit 1.
    if (error instanceof SwitchboardError && error.recovery === 'needs_person') {
      return fail(`Switchboard cannot start: ${error.message}`);
    }
    log.error('start-up failed', { error });
    process.exit(1);
  }
}

function fail(message: string): void {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

await main();
