import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Runs `npm run crm -- …` the way an operator would (the bot stopped), on this DATA_DIR, with only
 * PATH and what `env` adds in its environment. A non-zero exit is returned, not thrown.
 */
export function runCrmCli(
  dataDir: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli('src/crm-cli.ts', dataDir, args, env);
}

/** `npm run store -- …` (migrate), the same way. */
export function runStoreCli(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli('src/store-cli.ts', cwd, args, env);
}

/** `npm run classify -- …`, in `cwd` (where its input file is). */
export function runClassifyCli(cwd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli('src/classify-cli.ts', cwd, args, {});
}

async function runCli(
  script: string,
  dataDir: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, script), ...args], {
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, ...env },
      cwd: dataDir,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
