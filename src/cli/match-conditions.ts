// `flink-ha-webhook match-conditions [--config FILE]`: the webhooks' matchConditions for a config, as
// YAML to paste into the ValidatingWebhookConfiguration, so the API server's filter follows the config.
import type { Command } from 'commander';
import yaml from 'js-yaml';
import type { Register } from './main.ts';
import type { CliIo } from './io.ts';
import { loadConfig } from '../config/load.ts';
import { frontDoorMatchConditions, haConfigMapMatchConditions, namespaceMatchConditions, workloadMatchConditions } from '../policy/webhook-conditions.ts';

export const registerMatchConditions: Register = (program: Command, io: CliIo, done: (code: number) => void): void => {
  program
    .command('match-conditions')
    .description('print the matchConditions of the webhooks for a config: ha-configmaps (owner ServiceAccounts, marks, pod-bound tokens), workloads (imagePatterns) and namespaces (the ha-state label, the release annotation)')
    .option('--config <file>', 'webhook config file (YAML)')
    .action((flags: { config?: string }) => {
      const loaded = loadConfig({ file: flags.config, env: io.env });
      if (!loaded.ok) {
        for (const e of loaded.errors) io.stderr(`match-conditions: ${e}\n`);
        done(2);
        return;
      }
      io.stdout(yaml.dump({
        'ha-configmaps.flink-ha.io': { matchConditions: haConfigMapMatchConditions(loaded.config) },
        'workloads.flink-ha.io': { matchConditions: workloadMatchConditions(loaded.config) },
        'namespaces.flink-ha.io': { matchConditions: namespaceMatchConditions(loaded.config).labelled },
        'releasing-namespaces.flink-ha.io': { matchConditions: namespaceMatchConditions(loaded.config).release },
        'flink-resources.flink-ha.io': { matchConditions: frontDoorMatchConditions(loaded.config) },
      }, { lineWidth: -1 }));
      done(0);
    });
};
