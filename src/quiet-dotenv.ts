// natural loads its own dotenv when imported, which prints "injected env" lines to stdout.
// Imported first by main.ts (ES modules run in import order), so it is set before natural loads.
process.env.DOTENV_CONFIG_QUIET ??= 'true';
