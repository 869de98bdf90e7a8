// `flink-ha-webhook match-conditions [--config FILE]`: the HA ConfigMap webhook's matchConditions for a config, as
// YAML to paste into the ValidatingWebhookConfiguration, so the API server's filter follows the config.
import type { Command } from 'commander';
import yaml from 'js-yaml';
import { loadConfig } from '../config/load.ts';
import { haConfigMapMatchConditions } from '../policy/webhook-conditions.ts';

export function registerMatchConditions(program: Command): void {
  program
    .command('match-conditions')
    .description('print the matchConditions of the ha-configmaps.flink-ha.io webhook for a config (owner ServiceAccounts, marks, pod-bound tokens)')
    .option('--config <file>', 'webhook config file (YAML)')
    .action((flags: { config?: string }) => {
      const loaded = loadConfig({ file: flags.config, env: process.env });
      if (!loaded.ok) {
        for (const e of loaded.errors) console.error(`match-conditions: ${e}`);
        process.exitCode = 2;
        return;
      }
      process.stdout.write(yaml.dump({ matchConditions: haConfigMapMatchConditions(loaded.config) }, { lineWidth: -1 }));
    });
}
